/*
 * sasl-oauth2 authorize: what the command (cmd_authorize.c) hands its
 * flows, and the pieces they share.
 *
 *   authorize_browser.c   RFC 8252 loopback redirect, PKCE, browser launch
 *   authorize_manual.c    the same URL; the redirected address pasted back
 *   authorize_device.c    RFC 8628 device flow
 *   authorize_exchange.c  the authorization_code grant; refusals in words
 *   authorize_save.c      the version 1 token file, written once at the end
 *   authorize_next.c      what to put in Postfix, mbsync, mutt, msmtp
 *   authorize_prior.c     what an existing account says about itself
 *
 * Every flow ends with a token endpoint answer in an oa2_token_response
 * (owned by the caller) or an error in err; none of them touches the token
 * file.
 */
#ifndef SASL_OAUTH2_AUTHORIZE_H
#define SASL_OAUTH2_AUTHORIZE_H

#include "sasl-oauth2/buf.h"
#include "sasl-oauth2/http.h"
#include "sasl-oauth2/pkce.h"
#include "sasl-oauth2/provider.h"
#include "sasl-oauth2/token_endpoint.h"
#include "sasl-oauth2/token.h"

#include "account.h"
#include "cli.h"

#define AUTHORIZE_TIMEOUT_DEFAULT 300 /* seconds the browser flow waits */
#define AUTHORIZE_MANUAL_PORT 8087    /* the manual flow's redirect port */

struct authorize {
	const struct cli *cli;
	const struct account *acct;
	const char *account_arg;    /* ACCOUNT as given */
	const struct oa2_provider *prov;
	const char *client_id;
	const char *client_secret;  /* NULL: a public client */
	const char *user;           /* --user (sent as login_hint), or NULL */
	const char *signed_in_as;   /* --shared-mailbox: the account that signed in
				     * (the token file's user is the shared
				     * mailbox), else NULL */
	int port;                   /* --port, or -1 */
	long timeout;               /* seconds */
	int timeout_given;          /* --timeout was on the command line */
	int no_open;                /* --no-open */
	const char *rerun;          /* "sasl-oauth2 authorize NAME --provider P ..."
				     * without --flow, --port, --no-open */
	struct oa2_http_opts http;
};

/* The flows. Each returns OA2_OK with the token endpoint's answer in *res. */
int authorize_browser(const struct authorize *a, struct oa2_token_response *res,
		      struct oa2_err *err);
int authorize_manual(const struct authorize *a, struct oa2_token_response *res,
		     struct oa2_err *err);
int authorize_device(const struct authorize *a, struct oa2_token_response *res,
		     struct oa2_err *err);

/* One authorization request: PKCE pair, state, redirect URI and the URL
 * the user opens. */
struct authorize_request {
	struct oa2_pkce pkce;
	char state[OA2_RANDOM_LEN + 1];
	char redirect_uri[64];       /* http://HOST:PORT/, HOST the provider's
				      * redirect_host */
	struct oa2_buf url;
};
int authorize_request_init(const struct authorize *a, int port, struct authorize_request *r,
			   struct oa2_err *err);
void authorize_request_clear(struct authorize_request *r);

/* The authorization_code grant for a code the provider sent back. */
int authorize_exchange(const struct authorize *a, const struct authorize_request *r,
		       const char *code, struct oa2_token_response *res, struct oa2_err *err);

/* Rewrites err after a failed token (or device) endpoint request, in words
 * for this command: what the provider said and what to do. `what` names
 * the request ("the authorization code"). Returns rc. */
int authorize_refusal(const struct authorize *a, int rc, const struct oa2_token_response *res,
		      const char *what, struct oa2_err *err);

/* Writes the token file (atomically; the old one stays until then). */
int authorize_save(const struct authorize *a, const struct oa2_token_response *res,
		   const char *user, struct oa2_err *err);

/* Writes obj as acct's token file under its lock, owned as the account
 * says (postfix for --for postfix, else the old file's owner). */
struct json_object;
int authorize_write(const struct account *acct, struct json_object *obj, struct oa2_err *err);

/* The options both forms of authorize take (authorize_opts.c): the
 * sign-in flows' parser (cmd_authorize.c) and the app-only one
 * (authorize_app.c) put AUTHORIZE_COMMON_LOPTS in their getopt_long tables
 * and number their own options from AUTHORIZE_O_OWN. The strings point
 * into argv. */
struct authorize_common_opts {
	const char *account, *provider, *tenant, *cloud, *services, *user, *client_id;
	const char *secret_file, *for_who;
};
enum {
	AUTHORIZE_O_TENANT = 256, AUTHORIZE_O_CLOUD, AUTHORIZE_O_SERVICES, AUTHORIZE_O_CLIENT_ID,
	AUTHORIZE_O_SECRET_FILE, AUTHORIZE_O_FOR, AUTHORIZE_O_OWN
};
#define AUTHORIZE_COMMON_LOPTS \
	{ "provider", required_argument, NULL, 'p' }, \
	{ "tenant", required_argument, NULL, AUTHORIZE_O_TENANT }, \
	{ "cloud", required_argument, NULL, AUTHORIZE_O_CLOUD }, \
	{ "services", required_argument, NULL, AUTHORIZE_O_SERVICES }, \
	{ "user", required_argument, NULL, 'u' }, \
	{ "client-id", required_argument, NULL, AUTHORIZE_O_CLIENT_ID }, \
	{ "client-secret-file", required_argument, NULL, AUTHORIZE_O_SECRET_FILE }, \
	{ "for", required_argument, NULL, AUTHORIZE_O_FOR }, \
	{ "help", no_argument, NULL, 'h' }
/* Stores common option c's argument in o: 1 when c is one of them, else 0. */
int authorize_common_opt(int c, const char *arg, struct authorize_common_opts *o);
/* After getopt_long: the one ACCOUNT operand into o->account. Returns -1 to
 * go on, else the exit code of the usage error it printed. */
int authorize_account_operand(int argc, char **argv, struct authorize_common_opts *o);

/* App-only accounts (authorize_app.c): non-zero when argv asks for one
 * (--app or --service-account); then authorize_app runs the command. */
int authorize_app_wanted(int argc, char **argv);
int authorize_app(struct cli *cli, int argc, char **argv);

/* Prints to stdout how to use the account in Postfix, mbsync, mutt, msmtp. */
void authorize_next_steps(const struct authorize *a, const char *user, unsigned services);

/* What an existing token file says about how it was authorized; empty
 * strings for what it does not say. */
struct authorize_prior {
	int found;                   /* the token file exists and was read */
	char provider[64];
	char tenant[256];            /* microsoft, when not "common" */
	const char *cloud;           /* microsoft, when not worldwide (static) */
	char services[32];           /* "imap,smtp" from Microsoft's scopes */
	char user[OA2_USER_MAX + 1];
	char client_id[513];
	char client_secret[1024];    /* secret ("" for none); wiped by _clear */
};

/* Resolves ACCOUNT into *acct the way authorize writes it: as named, else
 * (a name without --for postfix whose own file does not exist) Postfix's
 * account of that name when that one exists; a path into Postfix's
 * directory is Postfix's. Then reads the file, when there is one, into *p;
 * for --for postfix without a Postfix file of that name, the caller's own
 * account of that name.
 * Returns OA2_OK (p->found says whether a file was read), OA2_ERR_INVALID
 * for a bad name, or the token store's error for a file it cannot read.
 * Release with authorize_prior_clear. */
int authorize_prior_read(const struct cli *cli, const char *arg, int for_postfix,
			 struct account *acct, struct authorize_prior *p, struct oa2_err *err);
void authorize_prior_clear(struct authorize_prior *p);

/* A progress line on stderr (not an error: no "sasl-oauth2:" prefix). */
void authorize_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
