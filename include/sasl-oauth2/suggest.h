/*
 * "Did you mean ...?" for mistyped words: commands, account names,
 * provider names. One edit distance for all of them.
 */
#ifndef SASL_OAUTH2_SUGGEST_H_
#define SASL_OAUTH2_SUGGEST_H_

#include <stddef.h>

/* The candidate closest to word (case-insensitive; inserting, deleting or
 * changing a character, or swapping two neighbours, is one edit), when it
 * is at most one edit away for words shorter than 5 bytes, two otherwise,
 * and not word itself. NULL when none is that close. */
const char *oa2_suggest_nearest(const char *word, const char *const *candidates, size_t n);

/* " (did you mean \"X\"?)" into buf when oa2_suggest_nearest finds X, else "". */
void oa2_suggest_phrase(const char *word, const char *const *candidates, size_t n, char *buf,
		    size_t len);

#endif
