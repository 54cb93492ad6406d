#include <stdarg.h>
#include <stdio.h>
#include <sys/stat.h>
#include <time.h>

#include "watch_log.h"
#include "sasl-oauth2/chars.h"

static enum wlog_dest dest = WLOG_STDERR;
static int debug;

#ifndef _PATH_LOG
#define _PATH_LOG "/dev/log"
#endif

/* Without a syslog socket (a container, a system without a syslog daemon)
 * syslog(3) drops every line without a word: then stderr is the only place
 * left, and cron mails it. */
static int have_syslog(void)
{
	struct stat st;

	return stat(_PATH_LOG, &st) == 0 && S_ISSOCK(st.st_mode);
}

void wlog_open(enum wlog_dest d)
{
	dest = d == WLOG_SYSLOG && !have_syslog() ? WLOG_STDERR : d;
	if (dest == WLOG_SYSLOG)
		openlog("sasl-oauth2", LOG_PID | LOG_NDELAY, LOG_MAIL);
}

void wlog_close(void)
{
	if (dest == WLOG_SYSLOG)
		closelog();
}

void wlog_set_debug(int on)
{
	debug = on;
}

static const char *level_name(int prio)
{
	switch (prio) {
	case LOG_ERR: return "error";
	case LOG_WARNING: return "warning";
	case LOG_NOTICE: return "notice";
	case LOG_INFO: return "info";
	default: return "debug";
	}
}

void wlog(int prio, const char *fmt, ...)
{
	char raw[2048], msg[4 * sizeof(raw)], when[32];
	struct tm tm;
	time_t now;
	va_list ap;

	if (prio == LOG_DEBUG && !debug)
		return;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	/* Lines name files and quote servers' answers: escaped, as every
	 * command prints them (oa2_chars_escape), for the terminal and the
	 * journal alike. */
	oa2_chars_escape(raw, msg, sizeof(msg));
	if (dest == WLOG_SYSLOG) {
		syslog(prio, "%s", msg);
		return;
	}
	now = time(NULL);
	if (localtime_r(&now, &tm) == NULL || strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S",
						      &tm) == 0)
		when[0] = '\0';
	fprintf(stderr, "%s sasl-oauth2 watch: %s: %s\n", when, level_name(prio), msg);
	fflush(stderr);
}
