#include <stdio.h>
#include <string.h>

#include "sasl-oauth2/account_name.h"
#include "sasl-oauth2/remedy.h"

const char *oa2_remedy_command(enum oa2_remedy r)
{
	switch (r) {
	case OA2_REMEDY_DOCTOR:
		return "sasl-oauth2 doctor";
	case OA2_REMEDY_KEYGEN:
		return "sasl-oauth2 keygen";
	case OA2_REMEDY_AUTHORIZE:
		break;
	}
	return "sasl-oauth2 authorize";
}

/* NAME + suffix into buf when base is "NAME.json" with a NAME that
 * `sasl-oauth2 authorize NAME` accepts (account_name.h); -1 otherwise, and
 * the advice names the path, which authorize accepts too. */
static int account_base(const char *base, const char *suffix, char *buf, size_t n)
{
	size_t bl = strlen(base);

	if (bl <= 5 || strcmp(base + bl - 5, ".json") != 0 || !oa2_account_name_ok(base, bl - 5))
		return -1;
	if ((size_t)snprintf(buf, n, "%.*s%s", (int)(bl - 5), base, suffix) >= n)
		return -1;
	return 0;
}

/* "NAME --for postfix" for CHROOT/etc/sasl-oauth2/NAME.json (or the same
 * path as seen inside the chroot). */
static int postfix_account(const char *path, const char *chroot_dir, char *buf, size_t n)
{
	static const char sub[] = "/etc/sasl-oauth2/";
	size_t cl = chroot_dir ? strlen(chroot_dir) : 0;
	const char *base;

	if (cl > 0 && strncmp(path, chroot_dir, cl) == 0 && strncmp(path + cl, sub, sizeof(sub) - 1) == 0)
		base = path + cl + sizeof(sub) - 1;
	else if (strncmp(path, sub, sizeof(sub) - 1) == 0)
		base = path + sizeof(sub) - 1;
	else
		return -1;
	return account_base(base, " --for postfix", buf, n);
}

void oa2_remedy_account(const char *path, const char *chroot_dir, char *buf, size_t n)
{
	static const char root_dir[] = "/var/lib/sasl-oauth2/";

	if (postfix_account(path, chroot_dir, buf, n) == 0)
		return;
	if (strncmp(path, root_dir, sizeof(root_dir) - 1) == 0 &&
	    account_base(path + sizeof(root_dir) - 1, "", buf, n) == 0)
		return;
	snprintf(buf, n, "%s", path);
}
