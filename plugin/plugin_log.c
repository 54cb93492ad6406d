#include <stdarg.h>
#include <stdio.h>

#include "plugin_log.h"

#define LINE_MAX_BYTES 2048

static void vlog(const sasl_utils_t *utils, int level, int set_error, const char *fmt,
		 va_list ap)
{
	char line[LINE_MAX_BYTES];

	vsnprintf(line, sizeof(line), fmt, ap);
	/* SASL_NOLOG: seterror would otherwise log the same text a second time
	 * at SASL_LOG_FAIL. */
	if (set_error)
		utils->seterror(utils->conn, SASL_NOLOG, "%s", line);
	utils->log(utils->conn, level, "%s", line);
}

void oa2p_log(const sasl_utils_t *utils, int level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(utils, level, 0, fmt, ap);
	va_end(ap);
}

int oa2p_fail(const sasl_utils_t *utils, int rc, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(utils, SASL_LOG_WARN, 1, fmt, ap);
	va_end(ap);
	return rc;
}
