/* doctor: will watch's notifications reach anyone? notify_mail needs a
 * local sendmail; notify_command must be executable by the user watch runs
 * as (postfix, for the system unit). */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "doctor.h"

#define SENDMAIL "/usr/sbin/sendmail"

/* access(path, X_OK) as user, in a child when that means switching;
 * 0 or the errno. */
static int executable_by(const char *path, const struct passwd *pw)
{
	int status;
	pid_t pid;

	if (pw == NULL || geteuid() != 0 || pw->pw_uid == geteuid())
		return access(path, X_OK) == 0 ? 0 : errno;
	pid = fork();
	if (pid < 0)
		return errno;
	if (pid == 0) {
		if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
		    setuid(pw->pw_uid) != 0)
			_exit(EPERM);
		_exit(access(path, X_OK) == 0 ? 0 : (errno & 0x7f));
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : EPERM;
}

void doctor_check_notify(struct doctor *d, int watch_running)
{
	const struct oa2_config *cfg = &d->cli->cfg;
	const struct passwd *pw = d->for_postfix || geteuid() == 0 ? getpwnam("postfix") : NULL;
	const char *who = pw != NULL ? pw->pw_name : "you";
	char fix[1024];
	struct stat st;
	int e;

	if (cfg->notify_mail == NULL && cfg->notify_command == NULL) {
		snprintf(fix, sizeof(fix), "add \"notify_mail = root\" to %s, then: systemctl "
			 "reload sasl-oauth2-watch", cfg->path);
		report(d, watch_running ? WARN : OK, watch_running ? fix : NULL,
		       "notify: no notify_mail or notify_command in %s: %s", cfg->path,
		       watch_running ? "a refused token is only logged, and nobody is told "
				       "until mail stops" : "nothing to announce problems with");
		return;
	}
	if (cfg->notify_mail != NULL) {
		if (stat(SENDMAIL, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
			report(d, OK, NULL, "notify: mail to %s goes through %s", cfg->notify_mail,
			       SENDMAIL);
		else
			report(d, FAIL, "install a local MTA (apt install postfix) or remove "
			       "notify_mail", "notify: notify_mail = %s, but there is no %s to "
			       "hand the mail to", cfg->notify_mail, SENDMAIL);
	}
	if (cfg->notify_command != NULL) {
		e = executable_by(cfg->notify_command, pw);
		snprintf(fix, sizeof(fix), "chmod a+rx %s (and its directories), or name a "
			 "program %s can run", cfg->notify_command, who);
		if (e == 0)
			report(d, OK, NULL, "notify: notify_command %s is executable by %s",
			       cfg->notify_command, who);
		else
			report(d, FAIL, fix, "notify: notify_command %s is not executable by %s, "
			       "who runs watch: %s", cfg->notify_command, who, strerror(e));
	}
}
