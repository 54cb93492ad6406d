#include <stdarg.h>
#include <stdio.h>

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
