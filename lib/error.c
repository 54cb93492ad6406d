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

const char *oa2_rc_name(int rc)
{
	switch (rc) {
	case OA2_OK: return "ok";
	case OA2_ERR_NOMEM: return "out of memory";
	case OA2_ERR_IO: return "i/o error";
	case OA2_ERR_TOOBIG: return "too big";
	case OA2_ERR_PARSE: return "parse error";
	case OA2_ERR_MISSING: return "missing field";
	case OA2_ERR_EXPIRED: return "expired";
	case OA2_ERR_INVALID: return "invalid";
	case OA2_ERR_UNSAFE: return "unsafe permissions";
	case OA2_ERR_CONFIG: return "configuration error";
	case OA2_ERR_NET: return "network error";
	case OA2_ERR_TEMPORARY: return "temporary server error";
	case OA2_ERR_DENIED: return "refused by the server";
	case OA2_ERR_NOREFRESH: return "cannot refresh";
	}
	return "unknown error";
}
