/* sasl-oauth2 watch: a daemon that keeps token files fresh. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "cmdutil.h"
#include "privsep.h"
#include "watch.h"
#include "watch_log.h"

#define DAY 86400L

static int parse_long(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

static int daemonize(int keep_stderr)
{
	pid_t pid = fork();
	int fd;

	if (pid < 0) {
		cli_error("watch: fork: %s", strerror(errno));
		return -1;
	}
	if (pid > 0)
		_exit(CLI_OK);
	setsid();
	if (chdir("/") != 0)
		return -1;
	fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		dup2(fd, STDIN_FILENO);
		dup2(fd, STDOUT_FILENO);
		if (!keep_stderr)
			dup2(fd, STDERR_FILENO);
		if (fd > STDERR_FILENO)
			close(fd);
	}
	return 0;
}

/* SIGHUP: the config file again. A bad file keeps the old settings. */
static void reload(struct cli *cli)
{
	struct oa2_config cfg;
	struct oa2_err err;

	if (oa2_config_load(cli->cfg.path, &cfg, &err) != OA2_OK) {
		wlog(LOG_ERR, "SIGHUP: %s; keeping the previous settings", err.msg);
		oa2_config_clear(&cfg);
		return;
	}
	cfg.transport = cli->cfg.transport;
	oa2_config_clear(&cli->cfg);
	cli->cfg = cfg;
	wlog_set_debug(cli->cfg.log_level >= OA2_LOG_DEBUG);
	wlog(LOG_NOTICE, "SIGHUP: re-read %s; re-scanning and retrying failed accounts now",
	     cli->cfg.path);
}

/* Sleeps on CLOCK_BOOTTIME until `until` (boot ms) or a signal. Returns
 * the signal, 0 for the timer, -1 on error. */
static int sleep_until(int tfd, int sfd, int64_t until)
{
	struct itimerspec its;
	struct pollfd p[2];
	struct signalfd_siginfo si;
	uint64_t ticks;

	memset(&its, 0, sizeof(its));
	its.it_value.tv_sec = until / 1000;
	its.it_value.tv_nsec = (long)(until % 1000) * 1000000L;
	if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
		its.it_value.tv_nsec = 1;
	if (timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL) != 0)
		return -1;
	p[0].fd = sfd;
	p[0].events = POLLIN;
	p[1].fd = tfd;
	p[1].events = POLLIN;
	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (p[0].revents & POLLIN) {
			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si))
				return (int)si.ssi_signo;
		}
		if (p[1].revents & POLLIN) {
			if (read(tfd, &ticks, sizeof(ticks)) < 0 && errno != EAGAIN)
				return -1;
			return 0;
		}
	}
}

struct step_job {
	const struct oa2_config *cfg;
	const struct watch_opts *o;
	struct {
		struct watch_acct a;
		int64_t next;
	} out;                    /* sent back */
};

static int step_as_owner(void *ctx)
{
	struct step_job *j = ctx;
	struct oa2_err err;
	int rc = watch_step(&j->out.a, j->cfg, j->o, &j->out.next);

	/* The state after the look, for the announcement and the metrics;
	 * an unreadable file was reported by the step. */
	if (acct_health_load(j->out.a.acct.path, j->cfg,
			     j->cfg->notify_mail != NULL || j->cfg->notify_command != NULL,
			     &j->out.a.health, &err) != OA2_OK && j->out.a.health.have)
		wlog(LOG_WARNING, "%s: %s", j->out.a.acct.name, err.msg);
	return rc;
}

/* One look at one account, as its owner (privsep.h): root watching
 * another user's token file works on it as that user. */
static int step(struct cli *cli, struct watch_acct *a, const struct watch_opts *o,
		int64_t *next)
{
	struct step_job j = { &cli->cfg, o, { *a, 0 } };
	struct oa2_err err;
	int rc, result;

	rc = privsep_run(&a->acct, step_as_owner, &j, &j.out, sizeof(j.out), &result, &err);
	if (rc == OA2_OK) {
		*a = j.out.a;
		*next = j.out.next;
		if (a->health.announce) {
			/* Sent by watch's own user, not the account's owner. */
			char account[PATH_MAX + 32];

			watch_advice_account(a, o, account, sizeof(account));
			watch_notify(&cli->cfg, a->acct.name, account, a->acct.path, &a->health);
			a->health.announce = 0;
		}
		return result;
	}
	if (a->result != cli_exit_for(rc)) /* once, not every pass */
		wlog(LOG_ERR, "%s: %s", a->acct.name, err.msg);
	a->result = cli_exit_for(rc);
	*next = 0;
	return a->result;
}

/* --metrics-file: every account's latest look, written after each pass.
 * A failure is logged when it first happens or changes. */
static void write_metrics(struct cli *cli, struct watch_table *t, const struct watch_opts *o)
{
	static char logged[OA2_ERR_MSG_MAX];
	struct metrics_row *rows;
	struct oa2_err err;
	int rc;

	if (o->metrics_file == NULL)
		return;
	rows = calloc(t->n + 1, sizeof(*rows));
	if (rows == NULL) {
		wlog(LOG_ERR, "--metrics-file: out of memory");
		return;
	}
	for (size_t i = 0; i < t->n; i++) {
		rows[i].name = t->v[i].acct.name;
		rows[i].ah = &t->v[i].health;
	}
	rc = metrics_write(o->metrics_file, NULL, &cli->cfg, rows, t->n, (long long)time(NULL),
			   &err);
	free(rows);
	if (rc == OA2_OK) {
		logged[0] = '\0';
	} else if (strcmp(logged, err.msg) != 0) {
		snprintf(logged, sizeof(logged), "%s", err.msg);
		wlog(LOG_ERR, "--metrics-file: %s", err.msg);
	}
}

/* One look at every account; returns the worst result. */
static int pass(struct cli *cli, struct watch_table *t, const struct watch_opts *o,
		int64_t *earliest)
{
	int worst = CLI_OK;
	int64_t next;

	watch_table_scan(t, o, &cli->cfg);
	for (size_t i = 0; i < t->n; i++) {
		worst = watch_worse(worst, step(cli, &t->v[i], o, &next));
		if (next > 0 && next < *earliest)
			*earliest = next;
	}
	write_metrics(cli, t, o);
	return worst;
}

static int loop(struct cli *cli, struct watch_table *t, const struct watch_opts *o)
{
	sigset_t mask;
	int sfd, tfd, sig, rc = CLI_OK;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &mask, NULL) != 0 ||
	    (sfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK)) < 0) {
		wlog(LOG_ERR, "cannot set up signal handling: %s", strerror(errno));
		return CLI_SOFTWARE;
	}
	/* CLOCK_BOOTTIME keeps counting during suspend (Linux 3.15). */
	tfd = timerfd_create(CLOCK_BOOTTIME, TFD_CLOEXEC | TFD_NONBLOCK);
	if (tfd < 0) {
		wlog(LOG_ERR, "cannot create a timer: %s", strerror(errno));
		close(sfd);
		return CLI_SOFTWARE;
	}
	for (;;) {
		int64_t now = watch_boot_ms(), wake = now + WATCH_RESCAN_SECS * 1000L;

		pass(cli, t, o, &wake);
		if (wake < now + 1000)
			wake = now + 1000; /* never spin */
		sig = sleep_until(tfd, sfd, wake);
		if (sig < 0) {
			wlog(LOG_ERR, "waiting failed: %s", strerror(errno));
			rc = CLI_SOFTWARE;
			break;
		}
		if (sig == SIGTERM || sig == SIGINT) {
			wlog(LOG_NOTICE, "%s: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
			break;
		}
		if (sig == SIGHUP) {
			struct oa2_err err;

			reload(cli);
			/* chroot_dir may have changed */
			if (t->scan_dir && account_default_dir(o->for_postfix, &cli->cfg, t->dir,
							       sizeof(t->dir), &err) != OA2_OK)
				wlog(LOG_ERR, "SIGHUP: %s", err.msg);
			for (size_t i = 0; i < t->n; i++)
				t->v[i].retry_at = 0; /* retry failed accounts now */
		}
	}
	close(tfd);
	close(sfd);
	return rc;
}

static int run(struct cli *cli, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "for", required_argument, NULL, 'F' },
		{ "once", no_argument, NULL, '1' },
		{ "foreground", no_argument, NULL, 'f' },
		{ "syslog", no_argument, NULL, 'S' },
		{ "stderr", no_argument, NULL, 'E' },
		{ "keepalive", required_argument, NULL, 'k' },
		{ "retry-min", required_argument, NULL, 'r' },
		{ "metrics-file", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct watch_opts o = {
		.keepalive = 7 * DAY, .retry_min = 30, .retry_max = 1800, .retry_refused = 6 * 3600,
	};
	struct watch_table t;
	struct oa2_err err;
	char *abs_config;
	int c, foreground = 0, log_to = -1, rc, worst;
	long v;

	memset(&t, 0, sizeof(t));
	while ((c = getopt_long(argc, argv, ":fh", opts, NULL)) != -1) {
		switch (c) {
		case 'F':
			if (strcmp(optarg, "postfix") != 0)
				return cli_usage_error(&cmd_watch, "--for takes \"postfix\"");
			o.for_postfix = 1;
			break;
		case '1': o.once = 1; break;
		case 'f': foreground = 1; break;
		case 'S': log_to = WLOG_SYSLOG; break;
		case 'E': log_to = WLOG_STDERR; break;
		case 'k':
			if (parse_long(optarg, 0, 3650, &v) != 0)
				return cli_usage_error(&cmd_watch, "--keepalive takes whole days, 0-3650");
			o.keepalive = v * DAY;
			break;
		case 'r':
			if (parse_long(optarg, 1, o.retry_max, &v) != 0)
				return cli_usage_error(&cmd_watch, "--retry-min takes seconds, 1-%ld",
						       o.retry_max);
			o.retry_min = v;
			break;
		case 'm':
			if (optarg[0] != '/')
				return cli_usage_error(&cmd_watch, "--metrics-file takes an absolute "
						       "path (the daemon runs in /)");
			o.metrics_file = optarg;
			break;
		case 'h': return cli_help(&cmd_watch);
		default: return cli_bad_option(&cmd_watch, c, argv);
		}
	}
	if ((rc = cli_require_config(cli)) != CLI_OK)
		return rc;
	if (cli->cfg.path[0] != '/' && (abs_config = realpath(cli->cfg.path, NULL)) != NULL) {
		/* SIGHUP re-reads it after the daemon moved to / */
		free(cli->cfg.path);
		cli->cfg.path = abs_config;
	}
	if (o.for_postfix && (rc = privsep_become_postfix("watch")) != CLI_OK)
		return rc;
	if (optind < argc) {
		if (watch_table_add_args(&t, argv + optind, argc - optind, &o, &cli->cfg, &err) !=
		    OA2_OK) {
			watch_table_free(&t);
			return cli_usage_error(&cmd_watch, "%s", err.msg);
		}
	} else {
		t.scan_dir = 1;
		if (account_default_dir(o.for_postfix, &cli->cfg, t.dir, sizeof(t.dir), &err) !=
		    OA2_OK) {
			cli_error("watch: %s", err.msg);
			return CLI_CONFIG;
		}
	}

	if (log_to < 0)
		log_to = (foreground || o.once) && isatty(STDERR_FILENO) ? WLOG_STDERR : WLOG_SYSLOG;
	if (!foreground && !o.once && daemonize(log_to == WLOG_STDERR) != 0) {
		watch_table_free(&t);
		return CLI_SOFTWARE;
	}
	wlog_open(log_to);
	wlog_set_debug(cli->cfg.log_level >= OA2_LOG_DEBUG);
	if (t.scan_dir)
		wlog(o.once ? LOG_DEBUG : LOG_NOTICE, "watching the token files in %s "
		     "(refresh_margin %ld s, keep-alive %ld days)", t.dir, cli->cfg.refresh_margin,
		     o.keepalive / DAY);
	else
		wlog(o.once ? LOG_DEBUG : LOG_NOTICE, "watching %zu token file%s (refresh_margin "
		     "%ld s, keep-alive %ld days)", t.n, t.n == 1 ? "" : "s",
		     cli->cfg.refresh_margin, o.keepalive / DAY);

	if (o.once) {
		int64_t unused = INT64_MAX;

		worst = pass(cli, &t, &o, &unused);
		if (t.dir_errno != 0 && t.dir_errno != ENOENT && worst == CLI_OK)
			worst = CLI_IOERR;
		rc = worst;
	} else {
		rc = loop(cli, &t, &o);
	}
	wlog_close();
	watch_table_free(&t);
	return rc;
}

const struct cli_command cmd_watch = {
	.name = "watch",
	.summary = "keep token files fresh (a daemon; --once for cron)",
	.run = run,
	.usage =
	"Usage: sasl-oauth2 watch [--for postfix] [--once] [--foreground]\n"
	"                         [--syslog|--stderr] [--keepalive DAYS] [--retry-min SECS]\n"
	"                         [--metrics-file PATH] [ACCOUNT...]\n"
	"\n"
	"Refreshes each account's access token before it expires, so programs that\n"
	"authenticate never wait for a refresh. With no ACCOUNT, watches every\n"
	"NAME.json in the account directory, re-scanned on every wake-up so new\n"
	"accounts are picked up.\n"
	"\n"
	"A token is refreshed at expires_at - refresh_margin - jitter (jitter: random,\n"
	"up to 60 s or 10% of the time left). Sleeping uses CLOCK_BOOTTIME and expiry\n"
	"is checked against the wall clock after every wake-up, so suspend and clock\n"
	"changes are accounted for. Refreshes take the token file's lock and rewrite\n"
	"it atomically: safe alongside the SASL plugin refreshing the same files.\n"
	"\n"
	"Failures: temporary ones (network, HTTP 408/429/5xx) are retried after 30 s,\n"
	"doubling up to 30 min, with a last try before the token expires. When the\n"
	"provider refuses (invalid_grant: revoked, expired, consent missing) it is\n"
	"logged once with the command to authorize again, and retried every 6 hours,\n"
	"at once when new tokens appear in the file, or on SIGHUP.\n"
	"\n"
	"Notifications: each change of an account's state (needs re-authorization,\n"
	"renewal failing longer than notify_failing_after, certificate expiring within\n"
	"notify_expiring_within, recovered) is announced once, by mail to notify_mail\n"
	"(through /usr/sbin/sendmail -t) and/or by running notify_command; see\n"
	"sasl-oauth2.conf(5). The state is kept in NAME.json.state beside each token\n"
	"file, so restarts and --once runs announce nothing twice.\n"
	"\n"
	"Options:\n"
	"  --for postfix     the accounts of Postfix's smtp client (CHROOT/etc/sasl-oauth2);\n"
	"                    started as root, it switches to the postfix user\n"
	"  --once            one pass, then exit (for cron); the exit code is the worst\n"
	"                    result: 0 all fresh, 75 retry later, 69 re-authorize, other\n"
	"                    codes as documented in sasl-oauth2(1)\n"
	"  -f, --foreground  do not detach (what systemd runs)\n"
	"  --syslog          log to syslog (facility mail, ident sasl-oauth2): the default\n"
	"                    unless stderr is a terminal and --foreground or --once is given;\n"
	"                    stderr all the same when there is no syslog socket (/dev/log)\n"
	"  --stderr          log to stderr\n"
	"  --keepalive DAYS  refresh a token whose refresh token has not been used for\n"
	"                    DAYS days even if the access token is still valid (default 7;\n"
	"                    0: never). Providers kill idle refresh tokens: Microsoft after\n"
	"                    90 days without use, Google after 7 days for apps left in\n"
	"                    \"Testing\" status (that one no refresh can prevent)\n"
	"  --retry-min SECS  first delay after a temporary failure (default 30)\n"
	"  --metrics-file PATH  after every pass, write Prometheus metrics for\n"
	"                    node_exporter's textfile collector to PATH (atomically)\n"
	"  -h, --help        this help\n"
	"\n"
	"Signals: SIGTERM and SIGINT stop it; SIGHUP re-reads the configuration file,\n"
	"re-scans the directory and retries failed accounts at once.\n"
	"\n"
	"systemd: sasl-oauth2-watch.service (system, --for postfix, as user postfix)\n"
	"and sasl-oauth2-watch-user.service (user unit, your own accounts).\n",
};
