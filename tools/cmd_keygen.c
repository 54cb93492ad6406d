/*
 * sasl-oauth2 keygen: a private key and a self-signed certificate for
 * Microsoft's certificate credentials (`authorize --app --certificate`).
 * Entra only needs the certificate's public key: no CA is involved.
 */
#include <getopt.h>
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
"Usage: sasl-oauth2 keygen KEYFILE CERTFILE [OPTIONS]\n"
"\n"
"Makes an RSA private key (KEYFILE, PEM, unencrypted, mode 0600) and a\n"
"self-signed certificate for it (CERTFILE, PEM, mode 0644), for app-only\n"
"Microsoft 365 access: upload CERTFILE to the app registration (Certificates &\n"
"secrets > Certificates > Upload certificate), then run\n"
"'sasl-oauth2 authorize ACCOUNT --app --certificate CERTFILE --private-key KEYFILE ...'.\n"
"Existing files are never replaced. Prints the certificate's SHA-1 thumbprint\n"
"(as the Entra portal lists it), its SHA-256 thumbprint (x5t#S256) and expiry.\n"
"\n"
"Options:\n"
"      --days N          validity in days (default 730; 1-3650). Renew before it\n"
"                        ends: 'sasl-oauth2 doctor' warns 30 days ahead\n"
"      --subject CN      the certificate's common name (default sasl-oauth2)\n"
"      --bits N          RSA key size (default 3072; 2048-8192)\n"
"      --for postfix     create the files as the postfix user (run as root), for\n"
"                        Postfix's smtp client; put them under\n"
"                        /var/spool/postfix/etc/sasl-oauth2/, inside its chroot\n"
"  -h, --help            this help\n"
"\n"
"Exit status: 0 done; 2 bad command line; 74 a file exists or cannot be written;\n"
"77 --for postfix without root.\n";

struct opts {
	const char *key, *cert, *subject;
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
	if (argc - optind != 2)
		return cli_usage_error(&cmd_keygen, "give KEYFILE and CERTFILE");
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
	       "above. Then: sasl-oauth2 authorize ACCOUNT --app --tenant TENANT --client-id ID\n"
	       "  --user MAILBOX --certificate %s --private-key %s%s\n",
	       o->key, o->bits, o->cert, o->subject, hex, s256, until, o->days, o->cert, o->cert,
	       o->key, o->for_postfix ? " --for postfix" : "");
}

static int run(struct cli *cli, int argc, char **argv)
{
	struct oa2_err err;
	struct opts o;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	int rc = parse(argc, argv, &o);

	(void)cli;
	if (rc >= 0)
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
