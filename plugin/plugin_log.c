#include <stdarg.h>
#include <stdio.h>

#include "plugin_log.h"

#define LINE_MAX_BYTES 2048

void oa2p_log(const sasl_utils_t *utils, int level, const char *fmt, ...)
{
	char line[LINE_MAX_BYTES];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	utils->log(utils->conn, level, "%s", line);
}

int oa2p_fail(const sasl_utils_t *utils, int rc, const char *fmt, ...)
{
	char line[LINE_MAX_BYTES];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	/* SASL_NOLOG: seterror would otherwise log the same text a second time
	 * at SASL_LOG_FAIL. */
	utils->seterror(utils->conn, SASL_NOLOG, "%s", line);
	utils->log(utils->conn, SASL_LOG_WARN, "%s", line);
	return rc;
}
