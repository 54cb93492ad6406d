/* doctor: is a "sasl-oauth2 watch --for postfix" running? */
#include <dirent.h>
#include <limits.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "doctor.h"
#include "run_capture.h"

/* argv, NUL-separated, of "sasl-oauth2 [...] watch [...] --for postfix". */
static int is_postfix_watch(const char *cmd, size_t n)
{
	int prog = 0, watch = 0, postfix = 0;

	for (size_t i = 0; i < n; i += strlen(cmd + i) + 1) {
		const char *arg = cmd + i, *slash = strrchr(arg, '/');
		if (i == 0)
			prog = strcmp(slash ? slash + 1 : arg, "sasl-oauth2") == 0;
		else if (strcmp(arg, "watch") == 0)
			watch = 1;
		else if (strcmp(arg, "postfix") == 0 || strcmp(arg, "--for=postfix") == 0)
			postfix = 1;
	}
	return prog && watch && postfix;
}

int doctor_watch_running(void)
{
	char out[64];
	char *argv[] = { "systemctl", "is-active", "--quiet", "sasl-oauth2-watch.service", NULL };
	DIR *proc;
	struct dirent *e;
	int found = 0;

	if (run_capture(argv, out, sizeof(out)) == 0)
		return 1;
	proc = opendir("/proc");
	while (proc != NULL && !found && (e = readdir(proc)) != NULL) {
		char path[300], cmd[512];
		FILE *f;
		size_t n;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/cmdline", e->d_name);
		if ((f = fopen(path, "re")) == NULL)
			continue;
		n = fread(cmd, 1, sizeof(cmd) - 1, f);
		fclose(f);
		cmd[n] = '\0';
		found = is_postfix_watch(cmd, n);
	}
	if (proc)
		closedir(proc);
	return found;
}

/* Without systemd the guide's cron line is the fix; it names this program
 * by its full path, as cron's PATH may not hold it. */
void doctor_check_watch(struct doctor *d)
{
	char self[PATH_MAX], fix[PATH_MAX + 256];
	struct stat st;
	ssize_t n;

	if (doctor_watch_running()) {
		report(d, OK, NULL, "watch: the sasl-oauth2 watch service is running");
		return;
	}
	if (stat("/run/systemd/system", &st) == 0) {
		snprintf(fix, sizeof(fix), "systemctl enable --now sasl-oauth2-watch.service");
	} else {
		n = readlink("/proc/self/exe", self, sizeof(self) - 1);
		self[n > 0 ? n : 0] = '\0';
		snprintf(fix, sizeof(fix), "echo '*/5 * * * * root %s watch --for postfix --once' "
			 "> /etc/cron.d/sasl-oauth2-watch", n > 0 ? self : "sasl-oauth2");
	}
	report(d, WARN, fix, "watch: the sasl-oauth2 watch service is not running: tokens are "
	       "refreshed only when mail is sent, and unused refresh tokens can expire");
}
