#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "sasl-oauth2/error.h"

int oa2_err_set(struct oa2_err *err, int rc, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return rc;
	err->rc = rc;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return rc;
}

void oa2_err_show_path(struct oa2_err *err, const char *opened, const char *shown)
{
	char out[OA2_ERR_MSG_MAX];
	size_t lo = strlen(opened), ls = strlen(shown), o = 0;
	const char *p = err->msg;

	if (lo == 0 || strcmp(opened, shown) == 0)
		return;
	while (*p != '\0' && o + 1 < sizeof(out)) {
		/* shown may end with opened (CHROOT + /etc/x.json): skip those */
		int inside = ls > lo && (size_t)(p - err->msg) >= ls - lo &&
			     memcmp(p - (ls - lo), shown, ls) == 0;
		if (!inside && strncmp(p, opened, lo) == 0) {
			size_t n = ls < sizeof(out) - 1 - o ? ls : sizeof(out) - 1 - o;
			memcpy(out + o, shown, n);
			o += n;
			p += lo;
		} else {
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
	memcpy(err->msg, out, o + 1);
}
