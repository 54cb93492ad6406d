/*
 * The character classes that untrusted strings are checked against before
 * they go into a SASL message, a log line, a URL or a file.
 */
#ifndef SASL_OAUTH2_CHARS_H
#define SASL_OAUTH2_CHARS_H

#include <stddef.h>

/* Visible ASCII, 0x21-0x7e: tokens (RFC 6750 b64token is a subset), codes,
 * URLs. No space, no control byte (the 0x01 SASL separator above all). */
int oa2_chars_visible(const char *s, size_t n);

/* Printable ASCII with space, 0x20-0x7e: scopes, device-flow texts. */
int oa2_chars_printable(const char *s, size_t n);

/* No control bytes (below 0x20, or 0x7f); UTF-8 is allowed: user names. */
int oa2_chars_no_controls(const char *s, size_t n);

/* Copies the string in to out (size n, always NUL-terminated, cut short
 * when it does not fit) for a terminal: control bytes (C0, DEL, C1) and
 * bytes that are not well-formed UTF-8 become "\xNN"; printable ASCII and
 * UTF-8 text stay. For everything printed from file names and contents
 * another user may have chosen. */
void oa2_chars_escape(const char *in, char *out, size_t n);

#endif
