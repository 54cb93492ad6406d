/*
 * Accounts: a name for a token file.
 *
 * An ACCOUNT argument that contains '/' is a token file path: it must start
 * with '/' or "./" and have no ".." component. Any other argument is an
 * account name, looked up in a directory:
 *   ordinary users   $SASL_OAUTH2_STATE_DIR, else $XDG_STATE_HOME/sasl-oauth2,
 *                    else ~/.local/state/sasl-oauth2
 *   root             $SASL_OAUTH2_STATE_DIR, else /var/lib/sasl-oauth2
 *   --for postfix    CHROOT/etc/sasl-oauth2 (CHROOT: the config's chroot_dir,
 *                    /var/spool/postfix), files owned by the postfix user
 * and the file is NAME.json there. One rule for names, wherever they come
 * from (argv, a directory listing, an imported file's suggestion):
 * oa2_account_name_ok (sasl-oauth2/account_name.h), a trailing ".json"
 * dropped.
 * A name never comes from a file's contents unconfirmed.
 *
 * Credentials (keys, certificates, client secrets, service-account keys)
 * live in the subdirectory keys/ of that directory, never beside the
 * token files: every NAME.json there is an account, so a key kept there
 * would be listed, locked and refreshed as one.
 */
#ifndef SASL_OAUTH2_ACCOUNT_H
#define SASL_OAUTH2_ACCOUNT_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "sasl-oauth2/config.h"
#include "sasl-oauth2/error.h"

struct account {
	char name[256];       /* as given, or the file's base name without .json */
	char path[PATH_MAX];  /* the token file */
	char dir[PATH_MAX];   /* its directory */
	int for_postfix;
	uid_t owner;          /* who must own the file (postfix, or the caller) */
	gid_t group;
};

/* Resolves ACCOUNT. Returns OA2_OK, or OA2_ERR_INVALID for a bad name. The
 * file need not exist. */
int account_resolve(const char *arg, int for_postfix, const struct oa2_config *cfg,
		    struct account *acct, struct oa2_err *err);

/* Checks arg against the account-name rule and copies the name (without
 * a trailing ".json") into name. Returns OA2_OK, or OA2_ERR_INVALID with a
 * message that states the rule. */
int account_name_check(const char *arg, char *name, size_t n, struct oa2_err *err);

/* The directory that holds the named accounts (for listing). */
int account_default_dir(int for_postfix, const struct oa2_config *cfg, char *buf, size_t n,
			struct oa2_err *err);

/* The directory for credential files: account_default_dir's keys/. */
int account_keys_dir(int for_postfix, const struct oa2_config *cfg, char *buf, size_t n,
		     struct oa2_err *err);

#endif
