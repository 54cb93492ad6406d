/*
 * A growable byte buffer with a hard upper bound.
 *
 * Used for everything assembled from untrusted or secret parts (SASL
 * responses, file contents). Appends past `max` fail instead of growing, and
 * the first failure sticks: callers append freely and check oa2_buf_failed()
 * once. The contents are always NUL-terminated one byte past len. The buffer
 * may hold secrets, so oa2_buf_clear wipes it before freeing.
 */
#ifndef SASL_OAUTH2_BUF_H
#define SASL_OAUTH2_BUF_H

#include <stddef.h>

struct oa2_buf {
	char *data;   /* owned; NULL until the first append */
	size_t len;   /* bytes in use, excluding the trailing NUL */
	size_t cap;   /* bytes allocated */
	size_t max;   /* the bound on len */
	int failed;   /* an append overflowed max or ran out of memory */
};

void oa2_buf_init(struct oa2_buf *b, size_t max);

/* Append n bytes / a C string / one byte. Return 0, or -1 once failed. */
int oa2_buf_put(struct oa2_buf *b, const void *p, size_t n);
int oa2_buf_puts(struct oa2_buf *b, const char *s);
int oa2_buf_putc(struct oa2_buf *b, char c);

static inline int oa2_buf_failed(const struct oa2_buf *b) { return b->failed; }

/* Wipes and frees the contents; the buffer can be reused after init. */
void oa2_buf_clear(struct oa2_buf *b);

#endif
