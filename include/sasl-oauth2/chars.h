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

/* No control bytes (C0 below 0x20, DEL 0x7f, C1 U+0080-U+009F: a terminal
 * may take 0x9b as CSI) and no malformed UTF-8; other UTF-8 is allowed. */
int oa2_chars_no_controls(const char *s, size_t n);

/* A mailbox, local@domain: a dot-atom local part of letters, digits and
 * ._%+- (no quoted string, space, quote or other shell metacharacter) and
 * a domain of letters, digits, dots and hyphens. The "user" of a token
 * file, which doctor puts into a command line for root. */
int oa2_chars_mailbox(const char *s, size_t n);

/* Copies in to out (size n) as one shell word: unchanged when it holds only
 * letters, digits and @%+=:,./_- (and is not empty), else in single quotes,
 * each ' written as '\''. Returns 0, or -1 (out "") when it does not fit.
 * For every argument of a command printed for an admin to run. */
int oa2_chars_shell_quote(const char *in, char *out, size_t n);

/* Copies the string in to out (size n, always NUL-terminated, cut short
 * when it does not fit) for a terminal: control bytes (C0, DEL, C1) and
 * bytes that are not well-formed UTF-8 become "\xNN"; printable ASCII and
 * UTF-8 text stay. For everything printed from file names and contents
 * another user may have chosen. */
void oa2_chars_escape(const char *in, char *out, size_t n);

#endif
