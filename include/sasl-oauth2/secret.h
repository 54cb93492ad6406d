/*
 * Memory that holds tokens, refresh tokens or client secrets.
 *
 * Every such buffer is released through these functions, which overwrite it
 * with OPENSSL_cleanse before freeing, so secrets do not linger in freed heap
 * memory (and so in core dumps).
 */
#ifndef SASL_OAUTH2_SECRET_H
#define SASL_OAUTH2_SECRET_H

#include <stddef.h>

/* Wipes len bytes at p and frees p. p may be NULL. */
void oa2_secret_free(void *p, size_t len);

/* Wipes the NUL-terminated string s and frees it. s may be NULL. */
void oa2_secret_free_str(char *s);

/* Returns a NUL-terminated copy of the n bytes at s (owned by the caller,
 * release with oa2_secret_free_str), or NULL when out of memory. */
char *oa2_secret_strndup(const char *s, size_t n);

#endif
