#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "privdrop.h"

int cli_become_postfix(const char *cmd)
{
	struct passwd *pw = getpwnam("postfix");

	if (pw == NULL) {
		cli_error("%s --for postfix: there is no postfix user on this host", cmd);
		return CLI_NOACCOUNT;
	}
	if (geteuid() == pw->pw_uid)
		return CLI_OK;
	if (geteuid() != 0) {
		cli_error("%s --for postfix: run it as root or as the postfix user", cmd);
		return CLI_NOPERM;
	}
	if (initgroups(pw->pw_name, pw->pw_gid) != 0 || setgid(pw->pw_gid) != 0 ||
	    setuid(pw->pw_uid) != 0) {
		cli_error("%s --for postfix: cannot switch to the postfix user: %s", cmd,
			  strerror(errno));
		return CLI_NOPERM;
	}
	return CLI_OK;
}
