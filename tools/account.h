/*
 * Accounts: a name for a token file.
 *
 * An ACCOUNT argument that contains '/' is a token file path and is used as
 * it is. Any other name is looked up in a directory:
 *   ordinary users   $SASL_OAUTH2_STATE_DIR, else $XDG_STATE_HOME/sasl-oauth2,
 *                    else ~/.local/state/sasl-oauth2
 *   root             $SASL_OAUTH2_STATE_DIR, else /var/lib/sasl-oauth2
 *   --for postfix    CHROOT/etc/sasl-oauth2 (CHROOT: the config's chroot_dir,
 *                    /var/spool/postfix), files owned by the postfix user
 * and the file is NAME.json there. Names are [A-Za-z0-9._@+-], not starting
 * with '.'.
 */
#ifndef SASL_OAUTH2_ACCOUNT_H
#define SASL_OAUTH2_ACCOUNT_H

#include <limits.h>
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

/* Creates the account's directory (0700, owned like the account) when
 * missing. */
int account_make_dir(const struct account *acct, struct oa2_err *err);

/* The directory that holds the named accounts (for listing). */
int account_default_dir(int for_postfix, const struct oa2_config *cfg, char *buf, size_t n,
			struct oa2_err *err);

#endif
