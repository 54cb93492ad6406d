/*
 * Unit tests of app-only token renewal's building blocks: the grant kind
 * table, token files naming their grant, credential files and their
 * permission rules, RS256 assertions (verified here with OpenSSL against
 * the public key), Google key files; and the store's renewing policy
 * (when it asks the token endpoint, what it keeps of the answer) and the
 * one token policy built on it (oa2_token_acquire) through a scripted HTTP
 * transport, without a server.
 *
 *   test_grant TMPDIR
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include "sasl-oauth2/base64url.h"
#include "sasl-oauth2/client_route.h"
#include "sasl-oauth2/config.h"
#include "sasl-oauth2/http_curl.h"
#include "sasl-oauth2/credfile.h"
#include "sasl-oauth2/grant.h"
#include "sasl-oauth2/json.h"
#include "sasl-oauth2/jwt.h"
#include "sasl-oauth2/jwt_sign.h"
#include "sasl-oauth2/keygen.h"
#include "sasl-oauth2/sa_key.h"
#include "sasl-oauth2/secret.h"
#include "sasl-oauth2/token.h"
#include "sasl-oauth2/token_acquire.h"
#include "sasl-oauth2/token_store.h"

#include "tap.h"

static const char *tmp;
static EVP_PKEY *key1, *key2;

static const char *in_tmp(const char *name)
{
	static char buf[8][4096];
	static int i;

	i = (i + 1) % 8;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmp, name);
	return buf[i];
}

static void put_file(const char *path, const char *text, mode_t mode)
{
	FILE *f;

	unlink(path);
	f = fopen(path, "w");
	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
	chmod(path, mode);
}

static int parse(const char *text, struct oa2_token *tok, struct oa2_err *e)
{
	return oa2_token_parse(text, strlen(text), "token file t.json", tok, e);
}

static void test_token_grant(void)
{
	struct oa2_config cfg = { 0 };
	struct oa2_token t;
	struct oa2_err e;

	CHECK(oa2_grant_kind_find(NULL) == &oa2_grant_refresh_token &&
	      oa2_grant_kind_find("client_credentials") == &oa2_grant_client_credentials &&
	      oa2_grant_kind_find("jwt_bearer") == &oa2_grant_jwt_bearer &&
	      oa2_grant_kind_find("password") == NULL,
	      "grant: the table knows its three kinds and nothing else");

	CHECK(parse("{\"version\":2,\"grant\":\"client_credentials\",\"access_token\":\"a\","
		    "\"client_id\":\"c\",\"token_endpoint\":\"https://x/token\",\"scope\":\"s\","
		    "\"certificate_file\":\"/k/c.pem\",\"private_key_file\":\"/k/k.pem\"}",
		    &t, &e) == OA2_OK && strcmp(t.grant, "client_credentials") == 0 &&
	      strcmp(t.private_key_file, "/k/k.pem") == 0,
	      "token file: grant and credential paths are read");
	CHECK(oa2_grant_kind_of(&t) == &oa2_grant_client_credentials &&
	      oa2_grant_can_renew(&t, &cfg), "grant: a complete client credentials file can renew");
	free(t.scope);
	t.scope = NULL;
	CHECK(!oa2_grant_can_renew(&t, &cfg) &&
	      strstr(oa2_grant_client_credentials.missing(&t, &cfg), "scope") != NULL,
	      "grant: without a scope it cannot, and says so");
	oa2_token_clear(&t);

	CHECK(parse("{\"grant\":\"password\",\"access_token\":\"a\"}", &t, &e) == OA2_ERR_PARSE &&
	      strstr(e.msg, "\"password\"") && strstr(e.msg, "jwt_bearer"),
	      "token file: an unknown grant is refused, naming it: %s", e.msg);
	CHECK(parse("{\"grant\":\"jwt_bearer\",\"access_token\":\"a\","
		    "\"service_account_file\":\"sa.json\"}", &t, &e) == OA2_ERR_PARSE &&
	      strstr(e.msg, "service_account_file") && strstr(e.msg, "absolute"),
	      "token file: a relative credential path is refused: %s", e.msg);
	CHECK(parse("{\"grant\":\"jwt_bearer\",\"access_token\":\"a\",\"user\":\"u@x\","
		    "\"token_endpoint\":\"https://x/t\",\"scope\":\"s\"}", &t, &e) == OA2_OK &&
	      !oa2_grant_can_renew(&t, &cfg) &&
	      strstr(oa2_grant_jwt_bearer.missing(&t, &cfg), "service_account_file"),
	      "grant: a jwt_bearer file without its key file cannot renew");
	oa2_token_clear(&t);
	CHECK(parse("{\"access_token\":\"a\",\"refresh_token\":\"r\",\"client_id\":\"c\","
		    "\"token_endpoint\":\"https://x/t\"}", &t, &e) == OA2_OK &&
	      oa2_grant_kind_of(&t) == &oa2_grant_refresh_token && oa2_grant_can_renew(&t, &cfg),
	      "grant: a version 1 file is renewed with its refresh token");
	oa2_token_clear(&t);
}

/* The file format's grant names (token.h) and the grant table (grant.h) are
 * kept in two layers; each name has its kind and each kind its name. */
static void test_grant_names_match(void)
{
	const struct oa2_grant_kind *kinds[] = { &oa2_grant_refresh_token,
						 &oa2_grant_client_credentials,
						 &oa2_grant_jwt_bearer };
	char names[] = OA2_TOKEN_GRANTS, *save = NULL;
	size_t n = 0;

	for (char *w = strtok_r(names, ", ", &save); w != NULL; w = strtok_r(NULL, ", ", &save)) {
		const struct oa2_grant_kind *k = oa2_grant_kind_find(w);
		CHECK(k != NULL && strcmp(k->name, w) == 0 && oa2_token_grant_known(w),
		      "grant names: the file format's \"%s\" has its grant kind", w);
		n++;
	}
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		CHECK(oa2_token_grant_known(kinds[i]->name),
		      "grant names: kind \"%s\" is a name the file format knows", kinds[i]->name);
	CHECK(n == sizeof(kinds) / sizeof(kinds[0]) && !oa2_token_grant_known("password") &&
	      !oa2_token_grant_known("refresh"),
	      "grant names: as many names as kinds (%zu), and no others", n);
}

static void test_explain(void)
{
	/* grant, error, error_description, a word the advice must have, what */
	static const struct {
		const struct oa2_grant_kind *kind;
		const char *error, *desc, *word, *what;
	} cases[] = {
		{ &oa2_grant_client_credentials, "invalid_client",
		  "AADSTS700027: Client assertion failed signature validation.",
		  "certificate", "AADSTS700027 is about the certificate" },
		{ &oa2_grant_client_credentials, "invalid_client",
		  "AADSTS7000222: The provided client secret keys are expired.",
		  "expired", "AADSTS7000222 says the secret expired" },
		{ &oa2_grant_client_credentials, "unauthorized_client",
		  "AADSTS700016: Application with identifier 'x' was not found",
		  "tenant", "AADSTS700016 says app not in tenant" },
		{ &oa2_grant_jwt_bearer, "unauthorized_client",
		  "Client is unauthorized to retrieve access tokens using this method",
		  "delegation", "Google unauthorized_client is delegation" },
		{ &oa2_grant_jwt_bearer, "unauthorized_client",
		  "Client is unauthorized to retrieve access tokens using this method, or client "
		  "not authorized for any of the scopes requested.",
		  "numeric client id", "Google unauthorized_client: the numeric client id" },
		{ &oa2_grant_jwt_bearer, "unauthorized_client", "Unauthorized client or scope in request.",
		  "24 hours", "Google unauthorized_client: delegation takes up to 24 h" },
		{ &oa2_grant_jwt_bearer, "access_denied", "Requested client not authorized.",
		  "scope is not in the service account's domain-wide delegation",
		  "Google access_denied: the scope is not in the delegation" },
		{ &oa2_grant_jwt_bearer, "disabled_client", "The OAuth client was disabled.",
		  "disabled", "Google disabled_client: the key or account is disabled" },
		{ &oa2_grant_jwt_bearer, "invalid_grant", "Invalid JWT Signature.",
		  "deleted, disabled or has expired", "Google Invalid JWT Signature: also a disabled "
		  "or expired key" },
		{ &oa2_grant_jwt_bearer, "invalid_grant",
		  "Invalid JWT: Token must be a short-lived token (60 minutes) and in "
		  "a reasonable timeframe. Check your iat and exp values",
		  "clock", "Google invalid_grant on times is clock skew" },
		{ &oa2_grant_refresh_token, "invalid_grant", "AADSTS700082: x",
		  "90 days", "refresh grants keep their words" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char buf[OA2_GRANT_EXPLAIN_MAX];
		const char *w = oa2_grant_explain(cases[i].kind, NULL, cases[i].error,
						  cases[i].desc, buf, sizeof(buf));

		CHECK(w && strstr(w, cases[i].word), "explain: %s", cases[i].what);
	}
}

/* AADSTS1002012 names the scope of the token file's own cloud. */
static void test_explain_scope(void)
{
	static const char desc[] = "AADSTS1002012: The provided value for scope "
				   "https://outlook-dod.office365.us/SMTP.Send is not valid.";
	struct oa2_token t = { 0 };
	char buf[OA2_GRANT_EXPLAIN_MAX];
	const char *w;

	t.token_endpoint = "https://login.microsoftonline.us/t.example/oauth2/v2.0/token";
	t.scope = "https://outlook-dod.office365.us/SMTP.Send";
	w = oa2_grant_explain(&oa2_grant_client_credentials, &t, "invalid_scope", desc, buf,
			      sizeof(buf));
	CHECK(w && strstr(w, "https://outlook-dod.office365.us/.default (DoD)") &&
	      !strstr(w, "office365.com"), "explain: AADSTS1002012 names DoD's scope: %s",
	      w ? w : "(none)");
	t.token_endpoint = "https://login.partner.microsoftonline.cn/t.example/oauth2/v2.0/token";
	t.scope = "https://partner.outlook.cn/IMAP.AccessAsUser.All offline_access";
	w = oa2_grant_explain(&oa2_grant_client_credentials, &t, "invalid_scope", desc, buf,
			      sizeof(buf));
	CHECK(w && strstr(w, "https://partner.outlook.cn/.default") && !strstr(w, ".us/"),
	      "explain: AADSTS1002012 names 21Vianet's scope: %s", w ? w : "(none)");
	w = oa2_grant_explain(&oa2_grant_client_credentials, NULL, "invalid_scope", desc, buf,
			      sizeof(buf));
	CHECK(w && strstr(w, "https://outlook.office365.com/.default") &&
	      strstr(w, "https://partner.outlook.cn/.default"),
	      "explain: AADSTS1002012 without a token file lists every cloud's scope");
}

/* The signature must verify with the public key alone, as a server does. */
static int verify_jwt(const char *jwt, EVP_PKEY *pub)
{
	const char *dot2 = strrchr(jwt, '.');
	unsigned char sig[1024];
	size_t siglen;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	int ok;

	ok = dot2 != NULL && oa2_base64url_decode(dot2 + 1, strlen(dot2 + 1), sig, sizeof(sig),
						   &siglen) == 0 &&
	     EVP_DigestVerifyInit(c, NULL, EVP_sha256(), NULL, pub) == 1 &&
	     EVP_DigestVerify(c, sig, siglen, (const unsigned char *)jwt,
			      (size_t)(dot2 - jwt)) == 1;
	EVP_MD_CTX_free(c);
	return ok;
}

/* The same for PS256: RSASSA-PSS, MGF1-SHA-256, salt of 32 bytes. */
static int verify_jwt_pss(const char *jwt, EVP_PKEY *pub)
{
	const char *dot2 = strrchr(jwt, '.');
	unsigned char sig[1024];
	size_t siglen;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pc = NULL;
	int ok;

	ok = dot2 != NULL && oa2_base64url_decode(dot2 + 1, strlen(dot2 + 1), sig, sizeof(sig),
						   &siglen) == 0 &&
	     EVP_DigestVerifyInit(c, &pc, EVP_sha256(), NULL, pub) == 1 &&
	     EVP_PKEY_CTX_set_rsa_padding(pc, RSA_PKCS1_PSS_PADDING) == 1 &&
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pc, 32) == 1 &&
	     EVP_DigestVerify(c, sig, siglen, (const unsigned char *)jwt,
			      (size_t)(dot2 - jwt)) == 1;
	EVP_MD_CTX_free(c);
	return ok;
}

static struct json_object *jwt_header(const char *jwt)
{
	unsigned char raw[1024];
	size_t n;
	struct json_object *o = NULL;
	const char *dot = strchr(jwt, '.');

	if (dot && oa2_base64url_decode(jwt, (size_t)(dot - jwt), raw, sizeof(raw), &n) == 0)
		oa2_json_parse_object((const char *)raw, n, "header", &o, NULL);
	return o;
}

static const char *str(struct json_object *o, const char *k)
{
	struct json_object *m;

	return json_object_object_get_ex(o, k, &m) ? json_object_get_string(m) : "";
}

static long long num(struct json_object *o, const char *k)
{
	struct json_object *m;

	return json_object_object_get_ex(o, k, &m) ? json_object_get_int64(m) : -1;
}

static void write_pair(EVP_PKEY *k, const char *keyname, const char *certname, long from,
		       long secs)
{
	struct oa2_err e;
	X509 *c;

	unlink(in_tmp(keyname));
	unlink(in_tmp(certname));
	if (oa2_keygen_cert(k, "sasl-oauth2 test", from, secs, &c, &e) != OA2_OK ||
	    oa2_keygen_write_key(in_tmp(keyname), k, &e) != OA2_OK ||
	    oa2_keygen_write_cert(in_tmp(certname), c, &e) != OA2_OK) {
		fprintf(stderr, "%s\n", e.msg);
		exit(2);
	}
	X509_free(c);
}

static void test_client_assertion(void)
{
	char *jwt = NULL, s256[OA2_X5T_S256_LEN + 1];
	unsigned char der_md[SHA256_DIGEST_LENGTH], *der = NULL;
	struct json_object *h, *c;
	struct oa2_err e;
	struct stat st;
	X509 *cert;
	int n;

	write_pair(key1, "k1.pem", "c1.pem", 0, 86400 * 365);
	CHECK(stat(in_tmp("k1.pem"), &st) == 0 && (st.st_mode & 0777) == 0600,
	      "keygen: the private key file is 0600");
	CHECK(oa2_grant_client_assertion(NULL, "client-1", "https://login.example/t/token",
					 in_tmp("k1.pem"), in_tmp("c1.pem"), NULL, &jwt, &e) == OA2_OK,
	      "client assertion: signed (%s)", jwt ? "" : e.msg);
	if (jwt == NULL)
		return;
	CHECK(verify_jwt(jwt, key1), "client assertion: the RS256 signature verifies with the "
	      "certificate's public key");
	CHECK(!verify_jwt(jwt, key2), "client assertion: and not with another key");
	h = jwt_header(jwt);
	CHECK(oa2_jwt_payload(jwt, &c, &e) == OA2_OK, "client assertion: claims decode");
	CHECK(strcmp(str(h, "alg"), "RS256") == 0 && strcmp(str(h, "typ"), "JWT") == 0,
	      "client assertion: alg RS256, typ JWT");
	/* x5t#S256 computed independently: SHA-256 of the DER certificate. */
	oa2_cred_certificate(in_tmp("c1.pem"), NULL, &cert, &e);
	n = i2d_X509(cert, &der);
	SHA256(der, (size_t)n, der_md);
	oa2_base64url_encode(der_md, sizeof(der_md), s256, sizeof(s256));
	CHECK(strcmp(str(h, "x5t#S256"), s256) == 0 && strlen(str(h, "x5t")) == 27,
	      "client assertion: x5t#S256 is the certificate's SHA-256 thumbprint (%s)", s256);
	OPENSSL_free(der);
	X509_free(cert);
	CHECK(strcmp(str(c, "iss"), "client-1") == 0 && strcmp(str(c, "sub"), "client-1") == 0 &&
	      strcmp(str(c, "aud"), "https://login.example/t/token") == 0 &&
	      strlen(str(c, "jti")) >= 16,
	      "client assertion: iss = sub = client id, aud = token endpoint, a jti");
	CHECK(num(c, "exp") - num(c, "nbf") == 300 &&
	      llabs(num(c, "iat") - (long long)time(NULL)) < 60,
	      "client assertion: valid for five minutes from now");
	json_object_put(h);
	oa2_json_put_wiped(c);
	oa2_secret_free_str(jwt);

	jwt = NULL;
	CHECK(oa2_grant_client_assertion("PS256", "client-1", "https://login.example/t/token",
					 in_tmp("k1.pem"), in_tmp("c1.pem"), NULL, &jwt, &e) == OA2_OK,
	      "client assertion: PS256 signed");
	if (jwt != NULL) {
		h = jwt_header(jwt);
		CHECK(strcmp(str(h, "alg"), "PS256") == 0 && verify_jwt_pss(jwt, key1) &&
		      !verify_jwt(jwt, key1), "client assertion: PS256 verifies as RSASSA-PSS "
		      "(salt 32), not as PKCS#1 v1.5");
		json_object_put(h);
		oa2_secret_free_str(jwt);
	}
	CHECK(oa2_grant_client_assertion("HS256", "c", "https://a/t", in_tmp("k1.pem"),
					 in_tmp("c1.pem"), NULL, &jwt, &e) == OA2_ERR_INVALID,
	      "client assertion: another algorithm is refused: %s", e.msg);
}

static void test_credential_files(void)
{
	char *jwt = NULL, *secret = NULL;
	struct oa2_err e;
	EVP_PKEY *k;

	write_pair(key1, "k2.pem", "c2.pem", 0, 86400);
	chmod(in_tmp("k2.pem"), 0640);
	CHECK(oa2_grant_client_assertion(NULL, "c", "https://a/t", in_tmp("k2.pem"), in_tmp("c2.pem"),
					 NULL, &jwt, &e) == OA2_ERR_UNSAFE &&
	      strstr(e.msg, in_tmp("k2.pem")) && strstr(e.msg, "chmod 600"),
	      "credentials: a group-readable key is refused with the fix: %s", e.msg);
	chmod(in_tmp("k2.pem"), 0600);

	write_pair(key2, "k3.pem", "c3.pem", 0, 86400);
	CHECK(oa2_grant_client_assertion(NULL, "c", "https://a/t", in_tmp("k2.pem"), in_tmp("c3.pem"),
					 NULL, &jwt, &e) == OA2_ERR_INVALID &&
	      strstr(e.msg, in_tmp("c3.pem")) && strstr(e.msg, in_tmp("k2.pem")) &&
	      strstr(e.msg, "does not belong"),
	      "credentials: a certificate of another key is refused: %s", e.msg);

	write_pair(key1, "k4.pem", "c4.pem", -86400 * 10, 86400 * 5);
	CHECK(oa2_grant_client_assertion(NULL, "c", "https://a/t", in_tmp("k4.pem"), in_tmp("c4.pem"),
					 NULL, &jwt, &e) == OA2_ERR_INVALID &&
	      strstr(e.msg, in_tmp("c4.pem")) && strstr(e.msg, "expired") &&
	      strstr(e.msg, "keygen"),
	      "credentials: an expired certificate is refused: %s", e.msg);
	CHECK(jwt == NULL, "credentials: no assertion after a refusal");

	put_file(in_tmp("enc.pem"), "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
		 "MIIBvTBXBgkqhkiG9w0BBQ0wSjApBgkqhkiG9w0BBQwwHAQI\n"
		 "-----END ENCRYPTED PRIVATE KEY-----\n", 0600);
	CHECK(oa2_cred_private_key(in_tmp("enc.pem"), NULL, &k, &e) != OA2_OK &&
	      strstr(e.msg, in_tmp("enc.pem")), "credentials: a key that does not parse is "
	      "refused, naming its file: %s", e.msg);
	put_file(in_tmp("junk.pem"), "hello\n", 0600);
	CHECK(oa2_cred_private_key(in_tmp("junk.pem"), NULL, &k, &e) == OA2_ERR_PARSE &&
	      strstr(e.msg, "no PEM private key"), "credentials: not a key: %s", e.msg);

	put_file(in_tmp("secret"), "s3cr3t~value  \n", 0600);
	CHECK(oa2_cred_client_secret(in_tmp("secret"), NULL, &secret, &e) == OA2_OK &&
	      strcmp(secret, "s3cr3t~value") == 0, "credentials: the secret file's first line, "
	      "trailing blanks removed");
	oa2_secret_free_str(secret);
	chmod(in_tmp("secret"), 0604);
	CHECK(oa2_cred_client_secret(in_tmp("secret"), NULL, &secret, &e) == OA2_ERR_UNSAFE &&
	      strstr(e.msg, "client secret file") && strstr(e.msg, "chmod 600"),
	      "credentials: a world-readable secret file is refused: %s", e.msg);
	put_file(in_tmp("secret"), "\n", 0600);
	CHECK(oa2_cred_client_secret(in_tmp("secret"), NULL, &secret, &e) == OA2_ERR_PARSE,
	      "credentials: an empty first line is refused: %s", e.msg);
	CHECK(oa2_cred_client_secret(in_tmp("nonexistent"), NULL, &secret, &e) == OA2_ERR_IO &&
	      strstr(e.msg, in_tmp("nonexistent")), "credentials: a missing file is named");
}

static char *sa_json(EVP_PKEY *k, const char *email)
{
	BIO *mem = BIO_new(BIO_s_mem());
	struct json_object *o = json_object_new_object();
	char *pem, *out;
	long n;

	PEM_write_bio_PrivateKey(mem, k, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(mem, &pem);
	json_object_object_add(o, "type", json_object_new_string("service_account"));
	json_object_object_add(o, "private_key_id", json_object_new_string("kid-1"));
	json_object_object_add(o, "private_key", json_object_new_string_len(pem, (int)n));
	if (email)
		json_object_object_add(o, "client_email", json_object_new_string(email));
	json_object_object_add(o, "client_id", json_object_new_string("1234567890"));
	json_object_object_add(o, "token_uri", json_object_new_string("https://oauth2.example/token"));
	out = strdup(json_object_to_json_string(o));
	json_object_put(o);
	BIO_free(mem);
	return out;
}

static void test_service_account(void)
{
	struct oa2_sa_key k;
	struct json_object *h, *c;
	struct oa2_err e;
	char *jwt = NULL, *owned;
	const char *text;

	text = owned = sa_json(key2, "relay@proj.iam.example");
	CHECK(oa2_sa_key_parse(text, strlen(text), "key.json", &k, &e) == OA2_OK &&
	      strcmp(k.client_email, "relay@proj.iam.example") == 0 &&
	      strcmp(k.client_id, "1234567890") == 0 && k.key != NULL,
	      "service account: the key file is read");
	oa2_sa_key_clear(&k);
	put_file(in_tmp("sa.json"), text, 0600);
	free(owned);
	CHECK(oa2_grant_sa_assertion(in_tmp("sa.json"), NULL, "alice@corp.example",
				     "https://mail.google.com/", "https://oauth2.example/token",
				     &jwt, &e) == OA2_OK, "service account: assertion signed");
	if (jwt != NULL) {
		CHECK(verify_jwt(jwt, key2), "service account: the signature verifies");
		h = jwt_header(jwt);
		oa2_jwt_payload(jwt, &c, &e);
		CHECK(strcmp(str(h, "kid"), "kid-1") == 0 &&
		      strcmp(str(c, "iss"), "relay@proj.iam.example") == 0 &&
		      strcmp(str(c, "sub"), "alice@corp.example") == 0 &&
		      strcmp(str(c, "scope"), "https://mail.google.com/") == 0 &&
		      strcmp(str(c, "aud"), "https://oauth2.example/token") == 0 &&
		      num(c, "exp") - num(c, "iat") == 3600,
		      "service account: kid, iss, sub, scope, aud, an hour");
		json_object_put(h);
		oa2_json_put_wiped(c);
		oa2_secret_free_str(jwt);
	}
	chmod(in_tmp("sa.json"), 0644);
	CHECK(oa2_grant_sa_assertion(in_tmp("sa.json"), NULL, "a@b", "s", "https://x", &jwt,
				     &e) == OA2_ERR_UNSAFE && strstr(e.msg, "chmod 600"),
	      "service account: a readable key file is refused: %s", e.msg);

	text = owned = sa_json(key2, NULL);
	CHECK(oa2_sa_key_parse(text, strlen(text), "key.json", &k, &e) == OA2_ERR_MISSING &&
	      strstr(e.msg, "client_email"), "service account: no client_email: %s", e.msg);
	free(owned);
	text = "{\"type\":\"authorized_user\"}";
	CHECK(oa2_sa_key_parse(text, strlen(text), "key.json", &k, &e) ==
	      OA2_ERR_PARSE && strstr(e.msg, "service_account"),
	      "service account: another kind of Google JSON is refused: %s", e.msg);
	text = "{\"type\":\"service_account\",\"client_email\":\"a@b\","
	       "\"private_key\":\"-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END "
	       "PRIVATE KEY-----\\n\"}";
	CHECK(oa2_sa_key_parse(text, strlen(text), "key.json", &k, &e) == OA2_ERR_PARSE &&
	      strstr(e.msg, "no PEM private key"),
	      "service account: a broken private key is refused: %s", e.msg);
}

/* A loopback listener that never answers: *port gets its port. */
static int listener(int *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 || listen(fd, 8) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
		perror("listener");
		exit(2);
	}
	*port = ntohs(a.sin_port);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	return fd;
}

/* How many connections reached the listener since the last call. */
static int connections(int fd)
{
	int n = 0, c;

	while ((c = accept(fd, NULL, NULL)) >= 0) {
		close(c);
		n++;
	}
	return n;
}

/* The config-client rule (client_route.h): the config's client goes only
 * to its own servers and only the config's way; the file's proxy and CA
 * apply to the file's own client. Then the same through oa2_grant_renew
 * with two real listeners standing for the file's and the config's proxy. */
static void test_config_client_route(void)
{
	static const char blob[] = "-----BEGIN CERTIFICATE-----\n";
	struct oa2_config cfg = { 0 };
	struct oa2_file_client f = { NULL, NULL, "http://file-proxy:1", "/file/ca.pem" };
	struct oa2_token_response res;
	struct oa2_http_opts ho;
	struct oa2_token t;
	struct oa2_route r;
	struct oa2_err e;
	char file_proxy[64], cfg_proxy[64], tok_text[1024];
	int pf, pc, lf = listener(&pf), lc = listener(&pc);

	cfg.client_id = "cfg-client";
	cfg.client_secret = "cfg-secret";
	cfg.token_endpoint = "https://login.example.test/token";
	cfg.proxy = "http://cfg-proxy:1";
	cfg.ca_blob = (unsigned char *)blob;
	cfg.ca_blob_len = sizeof(blob) - 1;
	cfg.connect_timeout = 2;
	cfg.timeout = 2;
	cfg.transport = &oa2_http_linked;

	oa2_client_route(&cfg, &f, "https://login.example.test/other", 1, &r, &ho);
	CHECK(r.config_client && strcmp(r.client_id, "cfg-client") == 0 &&
	      strcmp(r.client_secret, "cfg-secret") == 0 && strcmp(ho.proxy, "http://cfg-proxy:1") == 0 &&
	      ho.ca_file == NULL && ho.ca_blob == (const void *)blob,
	      "client route: the config's client, to its own origin, goes the config's way "
	      "(proxy %s, CA file %s)", ho.proxy, ho.ca_file ? ho.ca_file : "none");
	oa2_client_route(&cfg, &f, "https://login.microsoftonline.com/common/oauth2/v2.0/token", 1,
			 &r, &ho);
	CHECK(r.config_client && strcmp(ho.proxy, "http://cfg-proxy:1") == 0 && ho.ca_file == NULL,
	      "client route: the config's client to a built-in provider: the config's way too");
	oa2_client_route(&cfg, &f, "https://evil.example.test/token", 1, &r, &ho);
	CHECK(!r.config_client && r.client_id == NULL && r.client_secret == NULL &&
	      strcmp(ho.proxy, "http://file-proxy:1") == 0 && strcmp(ho.ca_file, "/file/ca.pem") == 0,
	      "client route: a file's own endpoint gets no client, and goes the file's way");
	oa2_client_route(&cfg, &f, NULL, 0, &r, &ho);
	CHECK(!r.config_client && r.client_id == NULL,
	      "client route: a kind that takes no config client gets none");
	f.client_id = "file-client";
	f.client_secret = "file-secret";
	oa2_client_route(&cfg, &f, NULL, 1, &r, &ho);
	CHECK(!r.config_client && strcmp(r.client_id, "file-client") == 0 &&
	      strcmp(r.client_secret, "file-secret") == 0 &&
	      strcmp(ho.proxy, "http://file-proxy:1") == 0 && strcmp(ho.ca_file, "/file/ca.pem") == 0,
	      "client route: the file's own client goes the file's way");
	f.proxy = f.ca_bundle_file = NULL;
	oa2_client_route(&cfg, &f, NULL, 1, &r, &ho);
	CHECK(strcmp(ho.proxy, "http://cfg-proxy:1") == 0 && ho.ca_blob == (const void *)blob,
	      "client route: a file without a proxy or CA of its own uses the config's");

	/* Through the grant: which proxy does the refresh connect to? */
	snprintf(file_proxy, sizeof(file_proxy), "http://127.0.0.1:%d", pf);
	snprintf(cfg_proxy, sizeof(cfg_proxy), "http://127.0.0.1:%d", pc);
	cfg.proxy = cfg_proxy;
	for (int own = 0; own <= 1; own++) {
		snprintf(tok_text, sizeof(tok_text), "{\"version\":1,\"access_token\":\"a\","
			 "\"refresh_token\":\"r\",\"token_endpoint\":\"https://login.example.test/t\","
			 "\"proxy\":\"%s\",\"ca_bundle_file\":\"%s\"%s}", file_proxy, in_tmp("file-ca.pem"),
			 own ? ",\"client_id\":\"file-client\"" : "");
		CHECK(parse(tok_text, &t, &e) == OA2_OK, "config client: the token file parses");
		(void)oa2_grant_renew("t.json", "t", &cfg, &t, &res, &e);
		oa2_token_response_clear(&res);
		oa2_token_clear(&t);
		int at_file = connections(lf), at_cfg = connections(lc);
		if (own)
			CHECK(at_file == 1 && at_cfg == 0, "config client: a file with its own client "
			      "refreshes through the file's proxy (file %d, config %d)", at_file, at_cfg);
		else
			CHECK(at_file == 0 && at_cfg == 1, "config client: the config's client never "
			      "reaches the proxy the token file names, only the config's (file %d, "
			      "config %d)", at_file, at_cfg);
	}
	close(lf);
	close(lc);
}

/* An HTTP transport that answers from a script and records what was asked. */
struct script {
	int calls;
	long status;
	const char *body;
	char url[256];
	char form[1024];
};

static int scripted(const struct oa2_http_transport *t, const char *what, const char *url,
		    const struct oa2_buf *form, const struct oa2_http_opts *o,
		    struct oa2_http_response *resp, struct oa2_err *err)
{
	struct script *s = (struct script *)t->ctx;

	(void)what, (void)o, (void)err;
	s->calls++;
	snprintf(s->url, sizeof(s->url), "%s", url);
	snprintf(s->form, sizeof(s->form), "%.*s", form ? (int)form->len : 0,
		 form && form->data ? form->data : "");
	resp->status = s->status;
	snprintf(resp->content_type, sizeof(resp->content_type), "application/json");
	oa2_buf_put(&resp->body, s->body, strlen(s->body));
	return OA2_OK;
}

static void put_token(const char *path, long long expires_at)
{
	char text[512];

	snprintf(text, sizeof(text),
		 "{\"access_token\":\"old-access\",\"refresh_token\":\"old-refresh\","
		 "\"client_id\":\"cid\",\"token_endpoint\":\"https://login.example.test/token\","
		 "\"user\":\"alice@example.com\",\"expires_at\":%lld}", expires_at);
	put_file(path, text, 0600);
}

static int file_has(const char *path, const char *needle)
{
	char buf[4096];
	size_t n;
	FILE *f = fopen(path, "r");

	if (f == NULL)
		return 0;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

/* The store asks the token endpoint only when the token is within the
 * margin, keeps the rotated refresh token, leaves the file alone on a
 * temporary failure (still handing out the old token while it is valid),
 * and records a refusal. */
static void test_store_policy(void)
{
	static const char blob[] = "-----BEGIN CERTIFICATE-----\n";
	struct script sc = { 0 };
	struct oa2_http_transport tr = { scripted, &sc };
	struct oa2_config cfg = { 0 };
	struct oa2_token tok;
	struct oa2_err e, notice;
	const char *path = in_tmp("policy.json");
	long long now = (long long)time(NULL);
	int rc;

	cfg.transport = &tr;
	cfg.ca_blob = (unsigned char *)blob;
	cfg.ca_blob_len = sizeof(blob) - 1;
	cfg.refresh_margin = 600;
	cfg.connect_timeout = cfg.timeout = 2;

	put_token(path, now + 3600);
	rc = oa2_store_refresh(path, "policy", &cfg, OA2_MARGIN_DEFAULT, &tok, &e, &notice, NULL);
	CHECK(rc == OA2_OK && sc.calls == 0 && strcmp(tok.access_token, "old-access") == 0,
	      "store policy: a token valid beyond the margin is used as it is, no request (%d)",
	      sc.calls);
	oa2_token_clear(&tok);

	put_token(path, now + 60);
	sc.status = 200;
	sc.body = "{\"access_token\":\"new-access\",\"token_type\":\"Bearer\",\"expires_in\":3600,"
		  "\"refresh_token\":\"new-refresh\"}";
	rc = oa2_store_refresh(path, "policy", &cfg, OA2_MARGIN_DEFAULT, &tok, &e, &notice, NULL);
	CHECK(rc == OA2_OK && sc.calls == 1 && strcmp(tok.access_token, "new-access") == 0 &&
	      strcmp(sc.url, "https://login.example.test/token") == 0 &&
	      strstr(sc.form, "grant_type=refresh_token") && strstr(sc.form, "refresh_token=old-refresh") &&
	      strstr(sc.form, "client_id=cid") && file_has(path, "\"new-refresh\""),
	      "store policy: within the margin, one refresh request; the rotated refresh token is "
	      "saved (%s)", rc == OA2_OK ? "ok" : e.msg);
	oa2_token_clear(&tok);

	put_token(path, now + 60);
	sc.status = 503;
	sc.body = "{\"error\":\"temporarily_unavailable\"}";
	rc = oa2_store_refresh(path, "policy", &cfg, OA2_MARGIN_DEFAULT, &tok, &e, &notice, NULL);
	CHECK(rc == OA2_OK && sc.calls == 2 && strcmp(tok.access_token, "old-access") == 0 &&
	      notice.rc == OA2_ERR_TEMPORARY && file_has(path, "\"old-refresh\"") &&
	      !file_has(path, "last_error"),
	      "store policy: a 503 leaves the file alone and hands out the still valid token "
	      "(notice: %s)", notice.msg);
	oa2_token_clear(&tok);

	put_token(path, now - 10);
	sc.status = 400;
	sc.body = "{\"error\":\"invalid_grant\",\"error_description\":\"revoked\"}";
	rc = oa2_store_refresh(path, "policy", &cfg, OA2_MARGIN_DEFAULT, &tok, &e, &notice, NULL);
	CHECK(rc == OA2_ERR_DENIED && sc.calls == 3 && file_has(path, "last_error") &&
	      strstr(e.msg, "invalid_grant") != NULL,
	      "store policy: an expired token whose grant is refused gives a denial, recorded in "
	      "the file (%s)", e.msg);
	if (rc == OA2_OK)
		oa2_token_clear(&tok);
}

/* A provider-sized access token (Microsoft's are 1-3 KB): 'A' + n - 1
 * characters of `fill`. */
static char *long_token(char fill, size_t n)
{
	char *t = malloc(n + 1);

	memset(t, fill, n);
	t[0] = 'A';
	t[n] = '\0';
	return t;
}

/* A token file for oa2_token_acquire: a 2 KB access token, a refresh
 * token unless `refreshable` is 0, rejected_at unless 0. */
static void put_acquire_file(const char *path, const char *access, long long expires_at,
			     int refreshable, long long rejected_at)
{
	char *text = malloc(strlen(access) + 1024);
	int n;

	n = sprintf(text, "{\"access_token\":\"%s\",\"client_id\":\"cid\",\"token_endpoint\":"
		    "\"https://login.example.test/token\",\"user\":\"alice@example.com\","
		    "\"expires_at\":%lld", access, expires_at);
	if (refreshable)
		n += sprintf(text + n, ",\"refresh_token\":\"old-refresh\"");
	if (rejected_at != 0)
		n += sprintf(text + n, ",\"rejected_at\":%lld", rejected_at);
	sprintf(text + n, "}");
	put_file(path, text, 0600);
	free(text);
}

/* The whole file (owned). */
static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 65536);

	if (f != NULL) {
		if (fread(buf, 1, 65535, f) == 0)
			buf[0] = '\0';
		fclose(f);
	}
	return buf;
}

/* One oa2_token_acquire and what it left: the token, the facts, the error,
 * the file afterwards and whether it is byte for byte what it was. */
struct acq {
	struct oa2_config cfg;
	struct script sc;
	const char *path;
	int rc;
	struct oa2_token tok;
	struct oa2_acquire_info info;
	struct oa2_err e;
	char *after;
	int unchanged;
};

static void run_acquire(struct acq *a, const struct oa2_err *cfg_err)
{
	struct oa2_acquire_req req = { 0 };
	char *before = slurp(a->path);

	req.account = "acq";
	req.min_valid = -1;
	req.cfg_err = cfg_err;
	a->e.msg[0] = '\0';
	a->rc = oa2_token_acquire(a->path, &a->cfg, &req, &a->tok, &a->info, &a->e);
	free(a->after);
	a->after = slurp(a->path);
	a->unchanged = strcmp(before, a->after) == 0;
	free(before);
}

/* The call succeeded and handed out `token`. */
static int handed(const struct acq *a, const char *token)
{
	return a->rc == OA2_OK && a->tok.access_token != NULL &&
	       strcmp(a->tok.access_token, token) == 0;
}

/* The one token policy the plugin and `sasl-oauth2 token`/`tunnel` share,
 * for a file with a refresh token: when it asks, what it hands out, what it
 * leaves in the file, and the facts it returns for the caller to phrase. */
static void acquire_refreshable(struct acq *a, const char *old, const char *fresh,
				const char *body, long long now)
{
	/* Valid beyond the margin: the file as read, no lock, no request. */
	put_acquire_file(a->path, old, now + 3600, 1, 0);
	run_acquire(a, NULL);
	CHECK(handed(a, old) && a->sc.calls == 0 && a->info.outcome == OA2_ACQUIRE_CURRENT &&
	      a->info.renewable && a->info.stop == OA2_ACQUIRE_NO_STOP && a->unchanged,
	      "acquire: a token valid beyond the margin is handed out as read, no request (%d)",
	      a->sc.calls);
	oa2_token_clear(&a->tok);

	/* Within the margin: one request, the rotated refresh token saved. */
	put_acquire_file(a->path, old, now + 60, 1, 0);
	a->sc.status = 200;
	a->sc.body = body;
	run_acquire(a, NULL);
	CHECK(handed(a, fresh) && a->sc.calls == 1 && a->info.outcome == OA2_ACQUIRE_RENEWED &&
	      strstr(a->sc.form, "refresh_token=old-refresh") &&
	      strstr(a->after, "\"new-refresh\"") && strstr(a->after, fresh) && !strstr(a->after, old),
	      "acquire: within the margin, one request; the new 2.5 KB token and the rotated refresh "
	      "token are saved (%s)", a->e.msg);
	oa2_token_clear(&a->tok);

	/* A 503 within the margin: the still valid token, the file unchanged. */
	put_acquire_file(a->path, old, now + 60, 1, 0);
	a->sc.status = 503;
	a->sc.body = "{\"error\":\"temporarily_unavailable\"}";
	run_acquire(a, NULL);
	CHECK(handed(a, old) && a->sc.calls == 2 && a->info.outcome == OA2_ACQUIRE_KEPT &&
	      a->info.stop == OA2_ACQUIRE_FAILED && a->info.why.rc == OA2_ERR_TEMPORARY &&
	      a->info.why.msg[0] != '\0' && a->unchanged,
	      "acquire: a 503 hands out the still valid token, says why, leaves the file byte for "
	      "byte (%s)", a->info.why.msg);
	oa2_token_clear(&a->tok);

	/* Expired and a 503: a temporary error, the file unchanged. */
	put_acquire_file(a->path, old, now - 10, 1, 0);
	run_acquire(a, NULL);
	CHECK(a->rc == OA2_ERR_TEMPORARY && a->sc.calls == 3 && a->tok.access_token == NULL &&
	      a->info.stop == OA2_ACQUIRE_FAILED && a->e.msg[0] != '\0' && a->unchanged,
	      "acquire: expired and a 503 is OA2_ERR_TEMPORARY, nothing handed out, the file "
	      "unchanged (%s)", a->e.msg);

	/* invalid_grant: recorded in the file; still valid, the token is kept. */
	put_acquire_file(a->path, old, now + 60, 1, 0);
	a->sc.status = 400;
	a->sc.body = "{\"error\":\"invalid_grant\",\"error_description\":\"revoked\"}";
	run_acquire(a, NULL);
	CHECK(handed(a, old) && a->sc.calls == 4 && a->info.outcome == OA2_ACQUIRE_KEPT &&
	      a->info.why.rc == OA2_ERR_DENIED && strstr(a->info.why.msg, "invalid_grant") &&
	      strstr(a->after, "last_error"),
	      "acquire: invalid_grant while still valid: the token kept, the refusal recorded in "
	      "the file (%s)", a->info.why.msg);
	oa2_token_clear(&a->tok);
	put_acquire_file(a->path, old, now - 10, 1, 0);
	run_acquire(a, NULL);
	CHECK(a->rc == OA2_ERR_DENIED && a->sc.calls == 5 && a->tok.access_token == NULL &&
	      strstr(a->e.msg, "invalid_grant") && strstr(a->e.msg, "acq") &&
	      strstr(a->after, "last_error"),
	      "acquire: invalid_grant once expired: OA2_ERR_DENIED naming the account, recorded (%s)",
	      a->e.msg);

	/* A token a server rejected is renewed though it has an hour left. */
	put_acquire_file(a->path, old, now + 3600, 1, now - 5);
	a->sc.status = 200;
	a->sc.body = body;
	run_acquire(a, NULL);
	CHECK(handed(a, fresh) && a->sc.calls == 6 && a->info.outcome == OA2_ACQUIRE_RENEWED &&
	      a->info.rejected_at == now - 5 && !strstr(a->after, "rejected_at"),
	      "acquire: a rejected token is renewed at once, rejected_at cleared (%s)", a->e.msg);
	oa2_token_clear(&a->tok);
}

/* Nothing to renew with, or a configuration that failed to load: no lock,
 * no request, nothing written. A still valid token is kept (the plugin's
 * old rule; `token` used to write last_error into a file without a refresh
 * token at every use, and the plugin refused a still valid token when the
 * configuration was broken); an expired or rejected one is refused. */
static void acquire_unrenewable(struct acq *a, const char *old, long long now)
{
	struct oa2_err cfg_err;
	int calls = a->sc.calls;

	put_acquire_file(a->path, old, now + 60, 0, 0);
	run_acquire(a, NULL);
	CHECK(handed(a, old) && a->sc.calls == calls && a->info.outcome == OA2_ACQUIRE_KEPT &&
	      a->info.stop == OA2_ACQUIRE_NO_GRANT && !a->info.renewable &&
	      a->info.missing != NULL && a->info.why.rc == OA2_ERR_NOREFRESH && a->unchanged,
	      "acquire: no refresh token, within the margin: kept, no request, the file unchanged "
	      "(%s)", a->info.why.msg);
	oa2_token_clear(&a->tok);
	put_acquire_file(a->path, old, now - 10, 0, 0);
	run_acquire(a, NULL);
	CHECK(a->rc == OA2_ERR_NOREFRESH && a->sc.calls == calls && a->tok.access_token == NULL &&
	      a->info.stop == OA2_ACQUIRE_NO_GRANT && a->info.expires_at == now - 10 &&
	      strstr(a->e.msg, "refresh_token") && strstr(a->e.msg, "acq") && a->unchanged,
	      "acquire: no refresh token, expired: OA2_ERR_NOREFRESH naming what is missing and "
	      "the account, no request, the file unchanged (%s)", a->e.msg);
	put_acquire_file(a->path, old, now + 3600, 0, now - 5);
	run_acquire(a, NULL);
	CHECK(a->rc == OA2_ERR_NOREFRESH && a->sc.calls == calls && a->tok.access_token == NULL &&
	      a->unchanged,
	      "acquire: no refresh token, rejected: refused, not handed out again (%s)", a->e.msg);

	oa2_err_set(&cfg_err, OA2_ERR_CONFIG, "sasl-oauth2.conf line 3: unknown key");
	put_acquire_file(a->path, old, now + 60, 1, 0);
	run_acquire(a, &cfg_err);
	CHECK(handed(a, old) && a->sc.calls == calls && a->info.outcome == OA2_ACQUIRE_KEPT &&
	      a->info.stop == OA2_ACQUIRE_NO_CONFIG && strcmp(a->info.why.msg, cfg_err.msg) == 0 &&
	      a->unchanged,
	      "acquire: a broken configuration, still valid: kept, the config error as the reason");
	oa2_token_clear(&a->tok);
	put_acquire_file(a->path, old, now - 10, 1, 0);
	run_acquire(a, &cfg_err);
	CHECK(a->rc == OA2_ERR_CONFIG && a->sc.calls == calls &&
	      a->info.stop == OA2_ACQUIRE_NO_CONFIG && strcmp(a->e.msg, cfg_err.msg) == 0,
	      "acquire: a broken configuration, expired: its error");

	a->path = in_tmp("absent.json");
	run_acquire(a, NULL);
	CHECK(a->rc == OA2_ERR_IO && a->info.stop == OA2_ACQUIRE_READ && a->tok.access_token == NULL &&
	      strstr(a->e.msg, "absent.json"),
	      "acquire: a missing file is OA2_ERR_IO at the READ step, naming it (%s)", a->e.msg);
}

static void test_token_acquire(void)
{
	static const char blob[] = "-----BEGIN CERTIFICATE-----\n";
	static struct acq a;
	struct oa2_http_transport tr = { scripted, &a.sc };
	char *old = long_token('o', 2048), *fresh = long_token('n', 2500), *body;
	long long now = (long long)time(NULL);

	a.cfg.transport = &tr;
	a.cfg.ca_blob = (unsigned char *)blob;
	a.cfg.ca_blob_len = sizeof(blob) - 1;
	a.cfg.refresh_margin = 600;
	a.cfg.connect_timeout = a.cfg.timeout = 2;
	a.path = in_tmp("acquire.json");
	body = malloc(strlen(fresh) + 256);
	sprintf(body, "{\"access_token\":\"%s\",\"token_type\":\"Bearer\",\"expires_in\":3600,"
		"\"refresh_token\":\"new-refresh\"}", fresh);
	acquire_refreshable(&a, old, fresh, body, now);
	acquire_unrenewable(&a, old, now);
	free(a.after);
	free(body);
	free(old);
	free(fresh);
}

int main(int argc, char **argv)
{
	struct oa2_err e;

	if (argc != 2) {
		fprintf(stderr, "usage: test_grant TMPDIR\n");
		return 2;
	}
	tmp = argv[1];
	if (oa2_keygen_rsa(2048, &key1, &e) != OA2_OK || oa2_keygen_rsa(2048, &key2, &e) != OA2_OK) {
		fprintf(stderr, "%s\n", e.msg);
		return 2;
	}
	test_token_grant();
	test_grant_names_match();
	test_explain();
	test_explain_scope();
	test_client_assertion();
	test_credential_files();
	test_service_account();
	test_config_client_route();
	test_store_policy();
	test_token_acquire();
	EVP_PKEY_free(key1);
	EVP_PKEY_free(key2);
	return tap_exit_code();
}
