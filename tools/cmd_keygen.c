/*
 * sasl-oauth2 keygen: a private key and a self-signed certificate for
 * Microsoft's certificate credentials (`authorize --app --certificate`).
 * Entra only needs the certificate's public key: no CA is involved.
 */
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "cmdutil.h"
#include "privsep.h"
#include "sasl-oauth2/jwt_sign.h"
#include "sasl-oauth2/keygen.h"

static const char usage[] =
"Usage: sasl-oauth2 keygen NAME [OPTIONS]\n"
"       sasl-oauth2 keygen KEYFILE CERTFILE [OPTIONS]\n"
"\n"
"Makes an RSA private key (KEYFILE, PEM, unencrypted, mode 0600) and a\n"
"self-signed certificate for it (CERTFILE, PEM, mode 0644), for app-only\n"
"Microsoft 365 access: upload CERTFILE to the app registration (Certificates &\n"
"secrets > Certificates > Upload certificate), then run\n"
"'sasl-oauth2 authorize ACCOUNT --app --certificate CERTFILE --private-key KEYFILE ...'.\n"
"Existing files are never replaced. Prints the certificate's SHA-1 thumbprint\n"
"(as the Entra portal lists it), its SHA-256 thumbprint (x5t#S256) and expiry.\n"
"With NAME (an account name, no '/'), the files are NAME-key.pem and\n"
"NAME-cert.pem in the credentials directory keys/ beside the token files\n"
"(with --for postfix: /var/spool/postfix/etc/sasl-oauth2/keys/), never among\n"
"them. Missing directories are made, as the postfix user with --for postfix.\n"
"\n"
"Options:\n"
"      --days N          validity in days (default 730; 1-3650). Renew before it\n"
"                        ends: 'sasl-oauth2 doctor' warns 30 days ahead\n"
"      --subject CN      the certificate's common name (default sasl-oauth2)\n"
"      --bits N          RSA key size (default 3072; 2048-8192)\n"
"      --for postfix     create the files as the postfix user (run as root), for\n"
"                        Postfix's smtp client; they must be inside its chroot\n"
"                        (NAME puts them in /var/spool/postfix/etc/sasl-oauth2/keys/)\n"
"  -h, --help            this help\n"
"\n"
"Exit status: 0 done; 2 bad command line; 74 a file exists or cannot be written;\n"
"77 --for postfix without root.\n";

struct opts {
	const char *key, *cert, *subject, *name;
	long days, bits;
	int for_postfix;
};

static int number(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v = strtol(s, &end, 10);

	if (s[0] < '0' || s[0] > '9' || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse(int argc, char **argv, struct opts *o)
{
	enum { O_DAYS = 256, O_SUBJECT, O_BITS, O_FOR };
	static const struct option lo[] = {
		{ "days", required_argument, NULL, O_DAYS },
		{ "subject", required_argument, NULL, O_SUBJECT },
		{ "bits", required_argument, NULL, O_BITS },
		{ "for", required_argument, NULL, O_FOR },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;

	memset(o, 0, sizeof(*o));
	o->days = 730;
	o->bits = 3072;
	o->subject = "sasl-oauth2";
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":h", lo, NULL)) != -1) {
		switch (c) {
		case O_DAYS:
			if (number(optarg, 1, 3650, &o->days) != 0)
				return cli_usage_error(&cmd_keygen, "--days takes 1-3650, not \"%s\"",
						       optarg);
			break;
		case O_BITS:
			if (number(optarg, 2048, 8192, &o->bits) != 0)
				return cli_usage_error(&cmd_keygen, "--bits takes 2048-8192, not "
						       "\"%s\"", optarg);
			break;
		case O_SUBJECT: o->subject = optarg; break;
		case O_FOR:
			if ((rc = cli_parse_for(&cmd_keygen, optarg, &o->for_postfix)) != CLI_OK)
				return rc;
			break;
		case 'h': return cli_help(&cmd_keygen);
		default: return cli_bad_option(&cmd_keygen, c, argv);
		}
	}
	if (argc - optind == 1 && strchr(argv[optind], '/') == NULL) {
		o->name = argv[optind];
		return -1;
	}
	if (argc - optind != 2)
		return cli_usage_error(&cmd_keygen, "give NAME, or KEYFILE and CERTFILE");
	o->key = argv[optind];
	o->cert = argv[optind + 1];
	return -1;
}

static void report(const struct opts *o, X509 *cert)
{
	char s256[OA2_X5T_S256_LEN + 1], b64[28], hex[41], until[64];
	time_t end = time(NULL) + (time_t)o->days * 86400;
	struct tm tm;

	if (oa2_jwt_x5t_s256(cert, s256, NULL) != OA2_OK ||
	    oa2_jwt_x5t_sha1(cert, b64, hex, NULL) != OA2_OK)
		return;
	gmtime_r(&end, &tm);
	strftime(until, sizeof(until), "%Y-%m-%d %H:%M UTC", &tm);
	printf("Private key: %s (RSA %ld bits, mode 0600; keep it on this host only)\n"
	       "Certificate: %s\n"
	       "  Subject:            CN=%s\n"
	       "  Thumbprint (SHA-1): %s\n"
	       "  x5t#S256:           %s\n"
	       "  Expires:            %s (in %ld days)\n"
	       "Next: upload %s to the app registration (Certificates & secrets >\n"
	       "Certificates > Upload certificate); the portal then shows the thumbprint\n"
	       "above. Then: sasl-oauth2 authorize %s --app --tenant TENANT --client-id ID\n"
	       "  --user MAILBOX --certificate %s --private-key %s%s\n",
	       o->key, o->bits, o->cert, o->subject, hex, s256, until, o->days, o->cert,
	       o->name ? o->name : "ACCOUNT", o->cert,
	       o->key, o->for_postfix ? " --for postfix" : "");
}

/* NAME: the files' paths in the credentials directory. */
static int name_paths(const struct cli *cli, struct opts *o, char *key, char *cert, size_t n)
{
	char dir[PATH_MAX], name[256];
	struct oa2_err err;

	if (account_name_check(o->name, name, sizeof(name), &err) != OA2_OK)
		return cli_usage_error(&cmd_keygen, "%s", err.msg);
	if (account_keys_dir(o->for_postfix, &cli->cfg, dir, sizeof(dir), &err) != OA2_OK) {
		cli_error("keygen: %s", err.msg);
		return cli_exit_for(err.rc);
	}
	if (snprintf(key, n, "%s/%s-key.pem", dir, name) >= (int)n ||
	    snprintf(cert, n, "%s/%s-cert.pem", dir, name) >= (int)n) {
		cli_error("keygen: %s: path too long", dir);
		return CLI_USAGE;
	}
	o->key = key;
	o->cert = cert;
	return -1;
}

/* Makes the directory `dir` for the files, as their owner (privsep, as
 * authorize makes an account's directory): the account directory first
 * when dir lies inside it, so that it is the owner's too. */
static int make_dir(const struct cli *cli, const struct opts *o, const char *dir)
{
	struct account a;
	struct oa2_err err;
	char top[PATH_MAX];
	size_t tl;

	if (account_resolve("x", o->for_postfix, &cli->cfg, &a, &err) != OA2_OK)
		goto fail;
	snprintf(top, sizeof(top), "%s", a.dir);
	tl = strlen(top);
	if (strncmp(dir, top, tl) == 0 && dir[tl] == '/' && privsep_make_dir(&a, &err) != OA2_OK)
		goto fail;
	if (snprintf(a.dir, sizeof(a.dir), "%s", dir) >= (int)sizeof(a.dir) ||
	    snprintf(a.path, sizeof(a.path), "%s/x", dir) >= (int)sizeof(a.path)) {
		oa2_err_set(&err, OA2_ERR_INVALID, "%s: path too long", dir);
		goto fail;
	}
	if (privsep_make_dir(&a, &err) == OA2_OK)
		return CLI_OK;
fail:
	cli_error("keygen: %s", err.msg);
	return cli_exit_for(err.rc);
}

/* The directories of KEYFILE and CERTFILE, made when missing. */
static int make_dirs_for(const struct cli *cli, const struct opts *o)
{
	const char *files[2] = { o->key, o->cert };
	char dir[PATH_MAX], *slash;
	int rc;

	for (int i = 0; i < 2; i++) {
		if (snprintf(dir, sizeof(dir), "%s", files[i]) >= (int)sizeof(dir))
			continue; /* writing it fails and says so */
		slash = strrchr(dir, '/');
		if (slash == NULL || slash == dir)
			continue;
		*slash = '\0';
		if (dir[0] != '/')
			continue; /* relative: under the caller's own working directory */
		if ((rc = make_dir(cli, o, dir)) != CLI_OK)
			return rc;
	}
	return CLI_OK;
}

static int run(struct cli *cli, int argc, char **argv)
{
	char keyp[PATH_MAX], certp[PATH_MAX];
	struct oa2_err err;
	struct opts o;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int rc = parse(argc, argv, &o);

	if (rc >= 0)
		return rc;
	if (o.for_postfix && geteuid() != 0 && (rc = privsep_become_postfix("keygen")) != CLI_OK)
		return rc; /* it said why not */
	if (o.name != NULL && (rc = name_paths(cli, &o, keyp, certp, sizeof(keyp))) >= 0)
		return rc;
	if ((rc = make_dirs_for(cli, &o)) != CLI_OK)
		return rc;
	if (o.for_postfix && (rc = privsep_become_postfix("keygen")) != CLI_OK)
		return rc;
	rc = oa2_keygen_rsa((int)o.bits, &key, &err);
	if (rc == OA2_OK)
		rc = oa2_keygen_cert(key, o.subject, 0, o.days * 86400, &cert, &err);
	if (rc == OA2_OK)
		rc = oa2_keygen_write_key(o.key, key, &err);
	if (rc == OA2_OK) {
		rc = oa2_keygen_write_cert(o.cert, cert, &err);
		if (rc != OA2_OK)
			(void)oa2_keygen_remove_key(o.key); /* no use without its certificate */
	}
	if (rc == OA2_OK)
		report(&o, cert);
	else
		cli_error("%s", err.msg);
	EVP_PKEY_free(key);
	X509_free(cert);
	return rc == OA2_OK ? CLI_OK : cli_exit_for(rc);
}

const struct cli_command cmd_keygen = {
	.name = "keygen",
	.summary = "make a key and self-signed certificate for app-only Microsoft 365",
	.run = run,
	.usage = usage,
};
