/* doctor: is a "sasl-oauth2 watch --for postfix" running? */
#include <dirent.h>
#include <limits.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>

#include "doctor.h"
#include "run_capture.h"
#include "sasl-oauth2/chars.h"

/* argv, NUL-separated, of "... watch [...] --for postfix"; argv[0] says
 * nothing (any process may set it), is_our_program decides. */
static int is_postfix_watch(const char *cmd, size_t n)
{
	int watch = 0, postfix = 0;

	for (size_t i = strlen(cmd) + 1; i < n; i += strlen(cmd + i) + 1) {
		const char *arg = cmd + i;
		if (strcmp(arg, "watch") == 0)
			watch = 1;
		else if (strcmp(arg, "postfix") == 0 || strcmp(arg, "--for=postfix") == 0)
			postfix = 1;
	}
	return watch && postfix;
}

/* The process runs this program, as root or postfix: its executable
 * (/proc/PID/exe, which the process cannot choose as it chooses argv[0])
 * is this doctor's own file, or a root-owned file named sasl-oauth2 that
 * only root may write (another installed copy, or ours replaced by an
 * upgrade since the watch started), and /proc/PID belongs to root or the
 * postfix user. Reading another user's exe needs root: run as another
 * user, doctor sees only its own processes. */
static int is_our_program(const char *pid)
{
	char path[300], exe[PATH_MAX];
	struct passwd *pw = getpwnam("postfix");
	struct stat self, st, proc;
	const char *base;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%s", pid);
	if (stat(path, &proc) != 0 || (proc.st_uid != 0 && (pw == NULL || proc.st_uid != pw->pw_uid)))
		return 0;
	snprintf(path, sizeof(path), "/proc/%s/exe", pid);
	if (stat(path, &st) != 0)
		return 0;
	if (stat("/proc/self/exe", &self) == 0 && self.st_dev == st.st_dev &&
	    self.st_ino == st.st_ino)
		return 1;
	n = readlink(path, exe, sizeof(exe) - 1);
	if (n <= 0)
		return 0;
	exe[n] = '\0';
	if (n > 10 && strcmp(exe + n - 10, " (deleted)") == 0)
		exe[n - 10] = '\0';
	base = strrchr(exe, '/');
	return base != NULL && strcmp(base + 1, "sasl-oauth2") == 0 && st.st_uid == 0 &&
	       S_ISREG(st.st_mode) && (st.st_mode & 022) == 0;
}

#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

/* Reads /proc/PID/NAME (NUL-separated strings) into buf; its length. */
static size_t read_proc(const char *pid, const char *name, char *buf, size_t n)
{
	char path[300];
	size_t len;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/%s", pid, name);
	if ((f = fopen(path, "re")) == NULL)
		return 0;
	len = fread(buf, 1, n - 1, f);
	fclose(f);
	buf[len] = '\0';
	return len;
}

/* The config file a sasl-oauth2 process reads: --config/-c in its argv,
 * else SASL_OAUTH2_CONF in its environment, else the default. */
static void process_config(const char *pid, const char *cmd, size_t n, char *out, size_t on)
{
	static char env[65536];
	size_t len;

	for (size_t i = 0; i < n; i += strlen(cmd + i) + 1) {
		const char *a = cmd + i, *next = i + strlen(a) + 1 < n ? a + strlen(a) + 1 : "";
		if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
			snprintf(out, on, "%s", next);
			return;
		}
		if (strncmp(a, "--config=", 9) == 0 || (strncmp(a, "-c", 2) == 0 && a[2] != '\0')) {
			snprintf(out, on, "%s", a + (a[1] == '-' ? 9 : 2));
			return;
		}
	}
	snprintf(out, on, "%s", SYSCONFDIR "/sasl-oauth2.conf");
	/* Another process's environment may hold secrets (a client secret
	 * given to it): only the one variable is looked at, then it is wiped. */
	len = read_proc(pid, "environ", env, sizeof(env));
	for (size_t i = 0; i < len; i += strlen(env + i) + 1)
		if (strncmp(env + i, OA2_CONFIG_ENV "=", sizeof(OA2_CONFIG_ENV)) == 0 &&
		    env[i + sizeof(OA2_CONFIG_ENV)] != '\0') {
			snprintf(out, on, "%s", env + i + sizeof(OA2_CONFIG_ENV));
			break;
		}
	OPENSSL_cleanse(env, len);
}

/* A watch process counts only when it reads the same config file as this
 * doctor: another config means another chroot and other token files. */
int doctor_watch_running(const char *config_path)
{
	char out[64], conf[PATH_MAX];
	char *argv[] = { "systemctl", "is-active", "--quiet", "sasl-oauth2-watch.service", NULL };
	DIR *proc;
	struct dirent *e;
	int found = 0;

	if (run_capture(argv, out, sizeof(out)) == 0)
		return 1;
	proc = opendir("/proc");
	while (proc != NULL && !found && (e = readdir(proc)) != NULL) {
		char cmd[4096];
		size_t n;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		n = read_proc(e->d_name, "cmdline", cmd, sizeof(cmd));
		if (n == 0 || !is_postfix_watch(cmd, n) || !is_our_program(e->d_name))
			continue;
		process_config(e->d_name, cmd, n, conf, sizeof(conf));
		found = config_path == NULL || strcmp(conf, config_path) == 0;
	}
	if (proc)
		closedir(proc);
	return found;
}

#define CRON_FILE "/etc/cron.d/sasl-oauth2-watch"

/* A line of FILE that runs "sasl-oauth2 ... watch ... --for postfix
 * ... --once", uncommented: cron runs the watch. */
static int cron_runs_watch(const char *file)
{
	char line[1024];
	int found = 0;
	FILE *f = fopen(file, "re");

	while (f != NULL && !found && fgets(line, sizeof(line), f) != NULL) {
		const char *p = line + strspn(line, " \t");
		found = *p != '#' && strstr(p, "sasl-oauth2") != NULL &&
			strstr(p, " watch ") != NULL && strstr(p, "--for postfix") != NULL &&
			strstr(p, "--once") != NULL;
	}
	if (f != NULL)
		fclose(f);
	return found;
}

/* cron (Debian's cron, cronie, busybox crond...) is installed. */
static int cron_installed(void)
{
	static const char *const daemons[] = { "/usr/sbin/cron", "/usr/sbin/crond",
					       "/usr/bin/crond", "/sbin/crond" };

	for (size_t i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++)
		if (access(daemons[i], X_OK) == 0)
			return 1;
	return 0;
}

void doctor_check_watch(struct doctor *d)
{
	char self[PATH_MAX], word[2 * PATH_MAX], line[2 * PATH_MAX + 64], fix[4 * PATH_MAX + 256];
	ssize_t n;
	struct stat st;

	if (doctor_watch_running(d->cli->cfg.path)) {
		report(d, OK, NULL, "watch: the sasl-oauth2 watch service is running");
		doctor_check_notify(d, 1);
		return;
	}
	if (cron_runs_watch(CRON_FILE) || cron_runs_watch("/etc/crontab")) {
		if (cron_installed())
			report(d, OK, NULL, "watch: cron runs sasl-oauth2 watch --once (%s)",
			       cron_runs_watch(CRON_FILE) ? CRON_FILE : "/etc/crontab");
		else
			report(d, WARN, doctor_fix(fix, sizeof(fix), "apt-get install cron"),
			       "watch: %s runs sasl-oauth2 watch, but cron is not installed, so it "
			       "never runs", CRON_FILE);
		doctor_check_notify(d, 1);
		return;
	}
	if (stat("/run/systemd/system", &st) == 0) {
		doctor_fix(fix, sizeof(fix), "systemctl enable --now sasl-oauth2-watch.service");
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		self[n > 0 ? n : 0] = '\0';
		/* cron runs the line with sh: the path is a word in it, and the
		 * whole line one word of the echo */
		if (oa2_chars_shell_quote(n > 0 ? self : "sasl-oauth2", word, sizeof(word)) != 0)
			snprintf(word, sizeof(word), "sasl-oauth2");
		snprintf(line, sizeof(line), "*/5 * * * * root %s watch --for postfix --once", word);
		doctor_fix(fix, sizeof(fix), cron_installed() ? "echo %s > " CRON_FILE
			   : "apt-get install cron && echo %s > " CRON_FILE, line);
	}
	report(d, WARN, fix, "watch: the sasl-oauth2 watch service is not running: tokens are "
	       "refreshed only when mail is sent, and unused refresh tokens can expire");
	doctor_check_notify(d, 0);
}
