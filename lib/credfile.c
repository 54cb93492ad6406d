#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "sasl-oauth2/chars.h"
#include "sasl-oauth2/credfile.h"
#include "sasl-oauth2/jwt_sign.h"
#include "sasl-oauth2/safe_file.h"
#include "sasl-oauth2/secret.h"
#include "sasl-oauth2/config.h"
#include "sasl-oauth2/remedy.h"

static int check_secret_file(const char *path, const char *what, const struct stat *st,
			     struct oa2_err *err)
{
	uid_t me = oa2_owner_uid();
	char word[2 * PATH_MAX + 8];

	/* the fix names the path as one shell word: a token file (which
	 * another user may write) chose it */
	if (oa2_chars_shell_quote(path, word, sizeof(word)) != 0)
		snprintf(word, sizeof(word), "FILE");
	if (st->st_mode & 077)
		return oa2_err_set(err, OA2_ERR_UNSAFE, "%s %s is %s by group or others (mode "
				   "%04o), refusing to use it; fix it with: chmod 600 %s", what,
				   path, (st->st_mode & 022) ? "writable" : "readable",
				   (unsigned)(st->st_mode & 07777), word);
	if (me != 0 && st->st_uid != me)
		return oa2_err_set(err, OA2_ERR_UNSAFE, "%s %s belongs to uid %u, not to the "
				   "user reading it (uid %u), refusing to use it; fix it with: "
				   "chown %u %s", what, path, (unsigned)st->st_uid, (unsigned)me,
				   (unsigned)me, word);
	return OA2_OK;
}

int oa2_cred_read(const char *path, const char *chroot_dir, const char *what, int secret,
		  size_t max, char **data, size_t *len, struct oa2_err *err)
{
	/* Messages name the path the admin gave (the token file's), which is
	 * where the fix applies; inside the chroot another name is opened. */
	const char *p = oa2_config_path_in_chroot(path, chroot_dir);
	struct stat st;
	size_t got = 0;
	char *buf;
	int fd, rc;

	*data = NULL;
	*len = 0;
	fd = open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	if (fd < 0)
		return oa2_err_set(err, OA2_ERR_IO, "%s %s: cannot open: %s", what, path,
				   strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return oa2_err_set(err, OA2_ERR_IO, "%s %s is not a regular file", what, path);
	}
	rc = secret ? check_secret_file(path, what, &st, err) : OA2_OK;
	if (rc == OA2_OK && (st.st_size <= 0 || (size_t)st.st_size > max))
		rc = oa2_err_set(err, st.st_size <= 0 ? OA2_ERR_PARSE : OA2_ERR_TOOBIG,
				 "%s %s is %s", what, path, st.st_size <= 0 ? "empty" :
				 "larger than the limit for such a file");
	if (rc != OA2_OK) {
		close(fd);
		return rc;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (buf == NULL) {
		close(fd);
		return oa2_err_set(err, OA2_ERR_NOMEM, "%s %s: out of memory", what, path);
	}
	/* Read at most the size fstat saw: a file growing meanwhile is cut,
	 * never overflows. */
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got == 0) {
		oa2_secret_free(buf, (size_t)st.st_size + 1);
		return oa2_err_set(err, OA2_ERR_IO, "%s %s: cannot read it", what, path);
	}
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return OA2_OK;
}

int oa2_cred_client_secret(const char *path, const char *chroot_dir, char **secret,
			   struct oa2_err *err)
{
	char *data;
	size_t len, n;
	int rc = oa2_cred_read(path, chroot_dir, "client secret file", 1, OA2_CLIENT_SECRET_MAX + 2,
			       &data, &len, err);

	if (rc != OA2_OK)
		return rc;
	n = strcspn(data, "\r\n");
	while (n > 0 && (data[n - 1] == ' ' || data[n - 1] == '\t'))
		n--;
	if (n == 0 || n > OA2_CLIENT_SECRET_MAX || !oa2_chars_visible(data, n))
		rc = oa2_err_set(err, OA2_ERR_PARSE, "client secret file %s: the first line must "
				 "hold the secret alone (visible characters, at most %d): put only "
				 "the secret's Value from the app registration in it", path,
				 OA2_CLIENT_SECRET_MAX);
	else if ((*secret = oa2_secret_strndup(data, n)) == NULL)
		rc = oa2_err_set(err, OA2_ERR_NOMEM, "out of memory");
	oa2_secret_free(data, len + 1);
	return rc;
}

/* Never prompt: a daemon has no one to type a passphrase. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf; (void)size; (void)rwflag;
	*(int *)u = 1;
	return -1;
}

int oa2_cred_parse_private_key(const char *pem, size_t len, const char *origin,
			       EVP_PKEY **key, struct oa2_err *err)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	int asked = 0;

	*key = NULL;
	if (bio == NULL || len > OA2_CRED_FILE_MAX) {
		BIO_free(bio);
		return oa2_err_set(err, OA2_ERR_NOMEM, "%s: cannot read the key", origin);
	}
	*key = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, &asked);
	BIO_free(bio);
	/* A failed parse leaves OpenSSL errors queued; in a long-lived host
	 * (Postfix's smtp) they must not be mistaken later for TLS errors. */
	ERR_clear_error();
	if (*key == NULL)
		return oa2_err_set(err, OA2_ERR_PARSE, asked ?
				   "%s is encrypted with a passphrase; sasl-oauth2 runs unattended "
				   "and needs it unencrypted (protected by mode 0600): openssl pkey "
				   "-in KEY -out NEWKEY" :
				   "%s holds no PEM private key (\"-----BEGIN PRIVATE KEY-----\")",
				   origin);
	if (oa2_jwt_key_usable(*key, origin, err) != OA2_OK) {
		EVP_PKEY_free(*key);
		*key = NULL;
		return OA2_ERR_INVALID;
	}
	return OA2_OK;
}

int oa2_cred_private_key(const char *path, const char *chroot_dir, EVP_PKEY **key,
			 struct oa2_err *err)
{
	char origin[64 + 4096];
	char *data;
	size_t len;
	int rc = oa2_cred_read(path, chroot_dir, "private key file", 1, OA2_CRED_FILE_MAX, &data,
			       &len, err);

	*key = NULL;
	if (rc != OA2_OK)
		return rc;
	snprintf(origin, sizeof(origin), "private key file %s", path);
	rc = oa2_cred_parse_private_key(data, len, origin, key, err);
	oa2_secret_free(data, len + 1);
	return rc;
}

int oa2_cred_certificate(const char *path, const char *chroot_dir, X509 **cert,
			 struct oa2_err *err)
{
	char *data;
	size_t len;
	BIO *bio;
	int rc = oa2_cred_read(path, chroot_dir, "certificate file", 0, OA2_CRED_FILE_MAX, &data,
			       &len, err);

	*cert = NULL;
	if (rc != OA2_OK)
		return rc;
	bio = BIO_new_mem_buf(data, (int)len);
	if (bio != NULL)
		*cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	oa2_secret_free(data, len + 1);
	ERR_clear_error();
	if (*cert == NULL)
		return oa2_err_set(err, OA2_ERR_PARSE, "certificate file %s holds no PEM "
				   "certificate (\"-----BEGIN CERTIFICATE-----\")", path);
	return OA2_OK;
}

long oa2_cred_cert_days_left(X509 *cert)
{
	int days = 0, secs = 0;

	if (ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(cert)) != 1)
		return -1;
	/* Round toward minus infinity: an hour past expiry is expired. */
	if (days <= 0 && secs < 0)
		return days - 1;
	return days;
}

int oa2_cred_key_and_cert(const char *key_path, const char *cert_path, const char *chroot_dir,
			  EVP_PKEY **key, X509 **cert, struct oa2_err *err)
{
	int rc = oa2_cred_private_key(key_path, chroot_dir, key, err);

	if (rc == OA2_OK)
		rc = oa2_cred_certificate(cert_path, chroot_dir, cert, err);
	if (rc == OA2_OK && X509_check_private_key(*cert, *key) != 1)
		rc = oa2_err_set(err, OA2_ERR_INVALID, "certificate file %s does not belong to "
				 "private key file %s; give the certificate made with that key "
				 "(%s makes both)", cert_path, key_path,
				 oa2_remedy_command(OA2_REMEDY_KEYGEN));
	if (rc == OA2_OK && X509_cmp_current_time(X509_get0_notAfter(*cert)) <= 0)
		rc = oa2_err_set(err, OA2_ERR_INVALID, "certificate file %s expired %ld days ago; "
				 "make a new key and certificate (%s), upload the "
				 "certificate to the app registration and point the account at them",
				 cert_path, -oa2_cred_cert_days_left(*cert),
				 oa2_remedy_command(OA2_REMEDY_KEYGEN));
	if (rc == OA2_OK && X509_cmp_current_time(X509_get0_notBefore(*cert)) >= 0)
		rc = oa2_err_set(err, OA2_ERR_INVALID, "certificate file %s is not valid yet "
				 "(check the clock)", cert_path);
	if (rc != OA2_OK) {
		EVP_PKEY_free(*key);
		X509_free(*cert);
		*key = NULL;
		*cert = NULL;
		ERR_clear_error();
	}
	return rc;
}
