#include <stdlib.h>
#include <string.h>

#include "sasl-oauth2/buf.h"
#include "sasl-oauth2/secret.h"

void oa2_buf_init(struct oa2_buf *b, size_t max)
{
	memset(b, 0, sizeof(*b));
	b->max = max;
}

/* Grows by copying into a fresh block rather than realloc, so a secret never
 * stays behind in a block realloc released without wiping. */
static int grow(struct oa2_buf *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 64;
	char *p;

	while (cap < need)
		cap *= 2;
	if (cap > b->max + 1)
		cap = b->max + 1;
	p = malloc(cap);
	if (p == NULL)
		return -1;
	if (b->data != NULL) {
		memcpy(p, b->data, b->len + 1);
		oa2_secret_free(b->data, b->cap);
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int oa2_buf_put(struct oa2_buf *b, const void *p, size_t n)
{
	if (b->failed)
		return -1;
	if (n > b->max - b->len) {
		b->failed = 1;
		return -1;
	}
	if (b->len + n + 1 > b->cap && grow(b, b->len + n + 1) != 0) {
		b->failed = 1;
		return -1;
	}
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int oa2_buf_puts(struct oa2_buf *b, const char *s)
{
	return oa2_buf_put(b, s, strlen(s));
}

int oa2_buf_putc(struct oa2_buf *b, char c)
{
	return oa2_buf_put(b, &c, 1);
}

void oa2_buf_clear(struct oa2_buf *b)
{
	oa2_secret_free(b->data, b->cap);
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->failed = 0;
}
