/*
 * Per-process cache of parsed token files.
 *
 * An authentication with a fresh token must not re-read and re-parse the
 * file: the cache keeps the parsed token per path and re-reads only when the
 * file's identity (device, inode, size, mtime, ctime) changes. One stat(2)
 * per lookup. Thread-safe.
 */
#ifndef SASL_OAUTH2_TOKEN_CACHE_H
#define SASL_OAUTH2_TOKEN_CACHE_H

#include "sasl-oauth2/error.h"
#include "sasl-oauth2/token.h"

struct oa2_token_cache;

/* Returns a new empty cache, or NULL when out of memory. */
struct oa2_token_cache *oa2_token_cache_new(void);

/* Wipes every cached token and frees the cache. c may be NULL. */
void oa2_token_cache_free(struct oa2_token_cache *c);

/* Fills *tok with a copy (owned by the caller, release with
 * oa2_token_clear) of the token in the file at path, reading the file only
 * when it changed since the last lookup. Errors as oa2_store_load. */
int oa2_token_cache_get(struct oa2_token_cache *c, const char *path,
			struct oa2_token *tok, struct oa2_err *err);

#endif
