/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The test SM-DP+ object: its PKI, orders, the HTTPS server and what it
 * records.  The ES9+ functions themselves are esim-test-smdp-es9p.c.
 *
 * HTTP as SGP.22 §6.5.1 binds ES9+ and osmocom pySim osmo-smdpp.py serves
 * it: POST to /gsma/rsp2/es9plus/<function>, JSON bodies; answers are HTTP
 * 200 with a JSON header (functionExecutionStatus, also for "Failed") and the
 * headers Content-Type application/json;charset=UTF-8 and X-Admin-Protocol
 * gsma/rsp/v2.x; handleNotification answers 204 with no body (pySim es9p.py
 * expected_http_status = 204).  A request that is no JSON object, or lacks a
 * member, is 400 Bad Request; a method other than POST 405.
 */

#define G_LOG_DOMAIN "esim-test-smdp"

#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>

#include "esim-bpp.h"
#include "esim-crypto.h"
#include "esim-ecdsa.h"
#include "esim-test-server-guard.h"
#include "esim-test-smdp-private.h"
#include "esim-util.h"

#define PATH_PREFIX           "/gsma/rsp2/es9plus/"
#define MAX_REQUEST_SIZE      (256 * 1024)
#define DEFAULT_PROFILE_SIZE  4000
#define DEFAULT_CC_ATTEMPTS   3
/* test ICCIDs: 89 (telecom) 49 (DE) 4499999 + an 8-digit serial, 19 digits */
#define ICCID_PREFIX          "89494499999"

G_DEFINE_QUARK (esim-test-smdp-error-quark, esim_test_smdp_error)

G_DEFINE_TYPE (EsimTestSmdp, esim_test_smdp, G_TYPE_OBJECT)

static const struct {
	const gchar *name;
	SmdpFunction function;
} functions[] = {
	{ "initiateAuthentication", smdp_initiate_authentication },
	{ "authenticateClient", smdp_authenticate_client },
	{ "getBoundProfilePackage", smdp_get_bound_profile_package },
	{ "handleNotification", smdp_handle_notification },
	{ "cancelSession", smdp_cancel_session },
};

/* ---- records ---------------------------------------------------------------------------------- */

static void
notification_free (EsimTestSmdpNotification *notification)
{
	g_clear_pointer (&notification->raw, g_bytes_unref);
	g_free (notification->transaction_id);
	g_free (notification->address);
	g_free (notification->iccid);
	g_free (notification);
}

static void
cancelled_free (EsimTestSmdpCancelled *cancelled)
{
	g_free (cancelled->transaction_id);
	g_free (cancelled);
}

static void
order_free (SmdpOrder *order)
{
	g_free (order->matching_id);
	g_free (order->eid);
	g_free (order->confirmation_code);
	g_free (order->iccid);
	g_free (order->name);
	g_free (order->provider);
	g_free (order->header_iccid);
	g_clear_pointer (&order->upp, g_bytes_unref);
	g_clear_pointer (&order->ppp, g_ptr_array_unref);
	memset (&order->ppk, 0, sizeof (order->ppk));
	g_free (order);
}

void
smdp_session_free (SmdpSession *session)
{
	g_free (session->transaction_id);
	g_clear_pointer (&session->ci, esim_cert_unref);
	g_clear_pointer (&session->euicc_cert, esim_cert_unref);
	g_free (session->eid);
	g_free (session);
}

static void
signer_clear (SmdpSigner *signer)
{
	g_clear_pointer (&signer->cert, esim_cert_unref);
	if (signer->key != NULL)
		gnutls_privkey_deinit (signer->key);
	signer->key = NULL;
}

/* ---- JSON answers ----------------------------------------------------------------------------- */

static void
add_header (JsonBuilder *builder, const gchar *status, const gchar *subject, const gchar *reason,
            const gchar *message)
{
	json_builder_set_member_name (builder, "header");
	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "functionExecutionStatus");
	json_builder_begin_object (builder);
	json_builder_set_member_name (builder, "status");
	json_builder_add_string_value (builder, status);
	if (subject != NULL) {
		json_builder_set_member_name (builder, "statusCodeData");
		json_builder_begin_object (builder);
		json_builder_set_member_name (builder, "subjectCode");
		json_builder_add_string_value (builder, subject);
		json_builder_set_member_name (builder, "reasonCode");
		json_builder_add_string_value (builder, reason);
		if (message != NULL) {
			json_builder_set_member_name (builder, "message");
			json_builder_add_string_value (builder, message);
		}
		json_builder_end_object (builder);
	}
	json_builder_end_object (builder);
	json_builder_end_object (builder);
}

JsonBuilder *
smdp_answer_begin (void)
{
	JsonBuilder *builder = json_builder_new ();

	json_builder_begin_object (builder);
	add_header (builder, "Executed-Success", NULL, NULL, NULL);
	return builder;
}

void
smdp_answer_add_string (JsonBuilder *builder, const gchar *name, const gchar *value)
{
	json_builder_set_member_name (builder, name);
	json_builder_add_string_value (builder, value);
}

void
smdp_answer_add_base64 (JsonBuilder *builder, const gchar *name, const guint8 *data, gsize len)
{
	g_autofree gchar *text = g_base64_encode (data, len);

	smdp_answer_add_string (builder, name, text);
}

gchar *
smdp_answer_finish (JsonBuilder *builder)
{
	g_autoptr(JsonGenerator) generator = json_generator_new ();
	g_autoptr(JsonNode) root = NULL;

	json_builder_end_object (builder);
	root = json_builder_get_root (builder);
	json_generator_set_root (generator, root);
	return json_generator_to_data (generator, NULL);
}

gchar *
smdp_answer_failed (const gchar *subject_code, const gchar *reason_code, const gchar *message)
{
	g_autoptr(JsonBuilder) builder = json_builder_new ();

	g_message ("ES9+ answer: Failed, subject %s, reason %s (%s)", subject_code, reason_code, message);
	json_builder_begin_object (builder);
	add_header (builder, "Failed", subject_code, reason_code, message);
	return smdp_answer_finish (builder);
}

/* ---- the PKI ---------------------------------------------------------------------------------- */

static gboolean
load_signer (SmdpSigner *signer, const gchar *dir, const gchar *cert_name, const gchar *key_name,
             gboolean required, GError **error)
{
	g_autofree gchar *cert_path = g_build_filename (dir, cert_name, NULL);
	g_autofree gchar *key_path = g_build_filename (dir, key_name, NULL);
	g_autoptr(GError) local = NULL;

	if (!required && !g_file_test (cert_path, G_FILE_TEST_EXISTS))
		return TRUE;
	signer->cert = esim_cert_new_from_file (cert_path, &local);
	if (signer->cert != NULL)
		signer->key = esim_ecdsa_privkey_new_from_file (key_path, &local);
	if (signer->cert == NULL || signer->key == NULL ||
	    !esim_cert_matches_key (signer->cert, signer->key, &local)) {
		g_set_error (error, ESIM_TEST_SMDP_ERROR, ESIM_TEST_SMDP_ERROR_PKI, "%s: %s", cert_path,
		             local->message);
		return FALSE;
	}
	return TRUE;
}

/* Every CERT_CI_* certificate of CertificateIssuer/ (DER or PEM), once per key. */
static gboolean
load_cis (EsimTestSmdp *self, GError **error)
{
	g_autofree gchar *ci_dir = g_build_filename (self->pki_dir, "CertificateIssuer", NULL);
	g_autoptr(GDir) listing = g_dir_open (ci_dir, 0, NULL);
	const gchar *name;

	while (listing != NULL && (name = g_dir_read_name (listing)) != NULL) {
		g_autofree gchar *path = g_build_filename (ci_dir, name, NULL);
		g_autoptr(EsimCert) cert = NULL;
		gboolean known = FALSE;

		if (!g_str_has_prefix (name, "CERT_CI_") ||
		    !(g_str_has_suffix (name, ".der") || g_str_has_suffix (name, ".pem")))
			continue;
		cert = esim_cert_new_from_file (path, NULL);
		if (cert == NULL || esim_cert_get_subject_key_id (cert) == NULL)
			continue;
		for (guint i = 0; i < self->cis->len; i++)
			known = known || g_bytes_equal (esim_cert_get_subject_key_id (g_ptr_array_index (self->cis, i)),
			                                esim_cert_get_subject_key_id (cert));
		if (!known)
			g_ptr_array_add (self->cis, g_steal_pointer (&cert));
	}
	if (self->cis->len == 0) {
		g_set_error (error, ESIM_TEST_SMDP_ERROR, ESIM_TEST_SMDP_ERROR_PKI, "%s: no CI certificate",
		             ci_dir);
		return FALSE;
	}
	return TRUE;
}

static gchar *
read_text (const gchar *path, GError **error)
{
	gchar *contents = NULL;

	if (!g_file_get_contents (path, &contents, NULL, error))
		return NULL;
	return contents;
}

/* The DPtls certificate, its key (as PKCS#8, which GLib's TLS takes) and the CI as its
 * chain, for the TLS server (SGP.22 §2.6.6: the SM-DP+ presents CERT.DP.TLS). */
static gboolean
load_tls (EsimTestSmdp *self, const gchar *set, GError **error)
{
	g_autofree gchar *dir = set != NULL ? g_build_filename (self->pki_dir, set, NULL) :
	                                      g_strdup (self->pki_dir);
	g_autofree gchar *cert_path = g_build_filename (dir, "DPtls", "CERT_S_SM_DP_TLS_NIST.pem", NULL);
	g_autofree gchar *key_path = g_build_filename (dir, "DPtls", "SK_S_SM_DP_TLS_NIST.pem", NULL);
	g_autofree gchar *ci_path = g_build_filename (dir, "CertificateIssuer", "CERT_CI_ECDSA_NIST.pem", NULL);
	g_autofree gchar *cert_pem = read_text (cert_path, error);
	g_autofree gchar *key_pem = cert_pem != NULL ? read_text (key_path, error) : NULL;
	g_autofree gchar *ci_pem = NULL;
	g_autofree gchar *all = NULL;
	gnutls_x509_privkey_t key = NULL;
	gnutls_datum_t in, out = { NULL, 0 };
	int rc;

	if (key_pem == NULL)
		return FALSE;
	/* the Expired set has no CI of its own: the main one issued it */
	ci_pem = read_text (ci_path, NULL);
	if (ci_pem == NULL) {
		g_free (ci_path);
		ci_path = g_build_filename (self->pki_dir, "CertificateIssuer", "CERT_CI_ECDSA_NIST.pem", NULL);
		ci_pem = read_text (ci_path, error);
		if (ci_pem == NULL)
			return FALSE;
	}
	in.data = (unsigned char *) key_pem;
	in.size = (unsigned int) strlen (key_pem);
	rc = gnutls_x509_privkey_init (&key);
	if (rc >= 0)
		rc = gnutls_x509_privkey_import (key, &in, GNUTLS_X509_FMT_PEM);
	if (rc >= 0)
		rc = gnutls_x509_privkey_export2_pkcs8 (key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, &out);
	if (key != NULL)
		gnutls_x509_privkey_deinit (key);
	if (rc < 0) {
		g_set_error (error, ESIM_TEST_SMDP_ERROR, ESIM_TEST_SMDP_ERROR_PKI, "%s: %s", key_path,
		             gnutls_strerror (rc));
		return FALSE;
	}
	all = g_strdup_printf ("%s%.*s%s", cert_pem, (int) out.size, out.data, ci_pem);
	gnutls_memset (out.data, 0, out.size);
	gnutls_free (out.data);
	self->tls = g_tls_certificate_new_from_pem (all, -1, error);
	memset (all, 0, strlen (all));
	if (self->tls == NULL) {
		g_prefix_error (error, "%s: ", cert_path);
		return FALSE;
	}
	if (self->host == NULL) {
		g_autoptr(EsimCert) tls_cert = esim_cert_new_from_data ((const guint8 *) cert_pem, strlen (cert_pem),
		                                                        error);
		gnutls_x509_crt_t crt = tls_cert != NULL ? esim_cert_get_x509 (tls_cert) : NULL;
		gchar name[256];
		size_t size = sizeof (name);
		unsigned int type = 0;

		if (crt == NULL ||
		    gnutls_x509_crt_get_subject_alt_name2 (crt, 0, name, &size, &type, NULL) < 0 ||
		    type != GNUTLS_SAN_DNSNAME) {
			g_set_error (error, ESIM_TEST_SMDP_ERROR, ESIM_TEST_SMDP_ERROR_PKI,
			             "%s names no host (dNSName); give one", cert_path);
			return FALSE;
		}
		self->host = g_strndup (name, size);
	}
	return TRUE;
}

static gboolean
load_pki (EsimTestSmdp *self, const EsimTestSmdpOptions *options, GError **error)
{
	g_autofree gchar *foreign = g_build_filename (self->pki_dir, "ForeignCI", NULL);
	g_autofree gchar *expired = g_build_filename (self->pki_dir, "Expired", NULL);

	if (!load_cis (self, error) ||
	    !load_signer (&self->dp_auth, self->pki_dir, "DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der",
	                  "DPauth/SK_S_SM_DPauth_ECDSA_NIST.pem", TRUE, error) ||
	    !load_signer (&self->dp_pb, self->pki_dir, "DPpb/CERT_S_SM_DPpb_ECDSA_NIST.der",
	                  "DPpb/SK_S_SM_DPpb_ECDSA_NIST.pem", TRUE, error) ||
	    !load_signer (&self->foreign_auth, foreign, "DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der",
	                  "DPauth/SK_S_SM_DPauth_ECDSA_NIST.pem", FALSE, error) ||
	    !load_signer (&self->foreign_pb, foreign, "DPpb/CERT_S_SM_DPpb_ECDSA_NIST.der",
	                  "DPpb/SK_S_SM_DPpb_ECDSA_NIST.pem", FALSE, error) ||
	    !load_signer (&self->expired_auth, expired, "DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der",
	                  "DPauth/SK_S_SM_DPauth_ECDSA_NIST.pem", FALSE, error) ||
	    !load_tls (self, options->tls_set, error))
		return FALSE;
	/* SGP.22: the SM-DP+ OID is the registeredID of its DPauth and DPpb certificates */
	self->oid = esim_cert_dup_registered_id (self->dp_auth.cert);
	if (self->oid == NULL) {
		g_set_error (error, ESIM_TEST_SMDP_ERROR, ESIM_TEST_SMDP_ERROR_PKI,
		             "%s: the DPauth certificate names no SM-DP+ OID (registeredID)", self->pki_dir);
		return FALSE;
	}
	return TRUE;
}

/* ---- the object ------------------------------------------------------------------------------- */

static void
esim_test_smdp_finalize (GObject *object)
{
	EsimTestSmdp *self = ESIM_TEST_SMDP (object);

	/* never waits on a client that gave up mid-handshake (esim-test-server-guard.c) */
	if (self->server != NULL)
		esim_test_server_guard_disconnect (self->server);
	g_clear_object (&self->server);
	g_clear_object (&self->tls);
	g_free (self->pki_dir);
	g_free (self->host);
	g_free (self->address);
	g_free (self->oid);
	g_free (self->device_tac);
	g_free (self->device_imei);
	g_ptr_array_unref (self->cis);
	signer_clear (&self->dp_auth);
	signer_clear (&self->dp_pb);
	signer_clear (&self->foreign_auth);
	signer_clear (&self->foreign_pb);
	signer_clear (&self->expired_auth);
	g_hash_table_unref (self->sessions);
	g_ptr_array_unref (self->orders);
	g_ptr_array_unref (self->notifications);
	g_ptr_array_unref (self->cancelled);
	g_hash_table_unref (self->request_counts);
	g_hash_table_unref (self->sockets);
	g_hash_table_unref (self->http_errors);
	G_OBJECT_CLASS (esim_test_smdp_parent_class)->finalize (object);
}

static void
esim_test_smdp_class_init (EsimTestSmdpClass *klass)
{
	G_OBJECT_CLASS (klass)->finalize = esim_test_smdp_finalize;
}

static void
esim_test_smdp_init (EsimTestSmdp *self)
{
	self->cis = g_ptr_array_new_with_free_func ((GDestroyNotify) esim_cert_unref);
	self->orders = g_ptr_array_new_with_free_func ((GDestroyNotify) order_free);
	self->sessions = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
	                                        (GDestroyNotify) smdp_session_free);
	self->notifications = g_ptr_array_new_with_free_func ((GDestroyNotify) notification_free);
	self->cancelled = g_ptr_array_new_with_free_func ((GDestroyNotify) cancelled_free);
	self->request_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
	self->sockets = g_hash_table_new_full (g_direct_hash, g_direct_equal, g_object_unref, NULL);
	self->http_errors = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
	self->next_iccid = 1;
}

EsimTestSmdp *
esim_test_smdp_new (const EsimTestSmdpOptions *options, GError **error)
{
	g_autoptr(EsimTestSmdp) self = NULL;

	g_return_val_if_fail (options != NULL && options->pki_dir != NULL, NULL);

	self = g_object_new (ESIM_TYPE_TEST_SMDP, NULL);
	self->pki_dir = g_strdup (options->pki_dir);
	self->host = g_strdup (options->host);
	if (!load_pki (self, options, error))
		return NULL;
	self->address = g_strdup (self->host);
	return g_steal_pointer (&self);
}

const gchar *
esim_test_smdp_get_address (EsimTestSmdp *self)
{
	g_return_val_if_fail (ESIM_IS_TEST_SMDP (self), NULL);
	return self->address;
}

guint16
esim_test_smdp_get_port (EsimTestSmdp *self)
{
	g_return_val_if_fail (ESIM_IS_TEST_SMDP (self), 0);
	return self->port;
}

const gchar *
esim_test_smdp_get_oid (EsimTestSmdp *self)
{
	g_return_val_if_fail (ESIM_IS_TEST_SMDP (self), NULL);
	return self->oid;
}

void
esim_test_smdp_set_faults (EsimTestSmdp *self, guint faults)
{
	g_return_if_fail (ESIM_IS_TEST_SMDP (self));
	self->faults = faults;
}

void
esim_test_smdp_set_http_error (EsimTestSmdp *self, const gchar *function, guint status)
{
	g_return_if_fail (ESIM_IS_TEST_SMDP (self));
	g_return_if_fail (function != NULL);
	if (status == 0)
		g_hash_table_remove (self->http_errors, function);
	else
		g_hash_table_insert (self->http_errors, g_strdup (function), GUINT_TO_POINTER (status));
}

GPtrArray *
esim_test_smdp_get_notifications (EsimTestSmdp *self)
{
	g_return_val_if_fail (ESIM_IS_TEST_SMDP (self), NULL);
	return self->notifications;
}

GPtrArray *
esim_test_smdp_get_cancelled (EsimTestSmdp *self)
{
	g_return_val_if_fail (ESIM_IS_TEST_SMDP (self), NULL);
	return self->cancelled;
}

guint
esim_test_smdp_get_request_count (EsimTestSmdp *self, const gchar *function)
{
	g_return_val_if_fail (ESIM_IS_TEST_SMDP (self), 0);
	return GPOINTER_TO_UINT (g_hash_table_lookup (self->request_counts, function));
}

guint
esim_test_smdp_get_connection_count (EsimTestSmdp *self)
{
	g_return_val_if_fail (ESIM_IS_TEST_SMDP (self), 0);
	return g_hash_table_size (self->sockets);
}

/* ---- orders ----------------------------------------------------------------------------------- */

SmdpOrder *
smdp_find_order (EsimTestSmdp *self, const gchar *matching_id, const gchar *eid)
{
	const gchar *wanted = matching_id != NULL ? matching_id : "";

	for (guint i = 0; i < self->orders->len; i++) {
		SmdpOrder *order = g_ptr_array_index (self->orders, i);

		/* an empty matching ID finds the default order of the EID (SGP.22 §3.1.3) */
		if (g_str_equal (order->matching_id, wanted) &&
		    (wanted[0] != '\0' || g_strcmp0 (order->eid, eid) == 0))
			return order;
	}
	return NULL;
}

static gboolean
parse_class (const gchar *name, guint *klass)
{
	static const gchar *const names[] = { "test", "provisioning", "operational" };

	if (name == NULL) {
		*klass = 2;
		return TRUE;
	}
	for (guint i = 0; i < G_N_ELEMENTS (names); i++) {
		if (g_str_equal (name, names[i])) {
			*klass = i;
			return TRUE;
		}
	}
	return FALSE;
}

static gboolean
order_fail (GError **error, const gchar *what)
{
	g_set_error (error, ESIM_TEST_SMDP_ERROR, ESIM_TEST_SMDP_ERROR_ORDER, "order: %s", what);
	return FALSE;
}

gboolean
esim_test_smdp_add_order (EsimTestSmdp *self, const EsimTestSmdpOrder *spec, GError **error)
{
	SmdpOrder *order;
	const gchar *mid;
	guint klass = 2;

	g_return_val_if_fail (ESIM_IS_TEST_SMDP (self), FALSE);
	g_return_val_if_fail (spec != NULL, FALSE);

	mid = spec->matching_id != NULL ? spec->matching_id : "";
	/* an activation code separates its fields with '$' (SGP.22 §4.1) */
	if (strchr (mid, '$') != NULL || strlen (mid) > 255 || !g_utf8_validate (mid, -1, NULL))
		return order_fail (error, "a matching ID is up to 255 characters without '$'");
	if (mid[0] == '\0' && spec->eid == NULL)
		return order_fail (error, "an order without matching ID is the default order of an EID");
	if (spec->eid != NULL && !esim_eid_is_valid (spec->eid))
		return order_fail (error, "invalid EID");
	if (smdp_find_order (self, mid, spec->eid) != NULL)
		return order_fail (error, "an order with this matching ID exists");
	if ((spec->iccid != NULL && !esim_iccid_is_valid (spec->iccid)) ||
	    (spec->header_iccid != NULL && !esim_iccid_is_valid (spec->header_iccid)))
		return order_fail (error, "invalid ICCID");
	if (!parse_class (spec->profile_class, &klass))
		return order_fail (error, "profile class is test, provisioning or operational");
	if (spec->confirmation_code != NULL && spec->confirmation_code[0] == '\0')
		return order_fail (error, "an empty confirmation code");

	order = g_new0 (SmdpOrder, 1);
	order->matching_id = g_strdup (mid);
	order->eid = g_strdup (spec->eid);
	order->confirmation_code = g_strdup (spec->confirmation_code);
	order->cc_left = spec->cc_attempts > 0 ? spec->cc_attempts : DEFAULT_CC_ATTEMPTS;
	order->iccid = spec->iccid != NULL ? g_strdup (spec->iccid) :
	               g_strdup_printf (ICCID_PREFIX "%08u", self->next_iccid++);
	order->name = g_strdup (spec->profile_name != NULL ? spec->profile_name : "esimd test profile");
	order->provider = g_strdup (spec->service_provider != NULL ? spec->service_provider :
	                            "esimd test operator");
	order->klass = klass;
	order->header_iccid = g_strdup (spec->header_iccid != NULL ? spec->header_iccid : order->iccid);
	order->upp = smdp_build_upp (order->header_iccid,
	                             spec->profile_size > 0 ? spec->profile_size : DEFAULT_PROFILE_SIZE);
	order->protect_in_advance = spec->protect_in_advance;
	if (order->protect_in_advance) {
		g_autoptr(GError) local = NULL;

		/* protected once, before any eUICC asks: a profile protected in advance */
		gnutls_rnd (GNUTLS_RND_KEY, &order->ppk, sizeof (order->ppk));
		order->ppp = esim_bpp_protect_profile (&order->ppk, g_bytes_get_data (order->upp, NULL),
		                                       g_bytes_get_size (order->upp), &local);
		if (order->ppp == NULL) {
			order_free (order);
			return order_fail (error, local->message);
		}
	}
	order->state = ESIM_TEST_SMDP_ORDER_RELEASED;
	g_ptr_array_add (self->orders, order);
	return TRUE;
}

static SmdpOrder *
order_by_id (EsimTestSmdp *self, const gchar *matching_id)
{
	const gchar *wanted = matching_id != NULL ? matching_id : "";

	for (guint i = 0; i < self->orders->len; i++) {
		SmdpOrder *order = g_ptr_array_index (self->orders, i);

		if (g_str_equal (order->matching_id, wanted))
			return order;
	}
	return NULL;
}

gchar *
esim_test_smdp_get_activation_code (EsimTestSmdp *self, const gchar *matching_id)
{
	SmdpOrder *order;

	g_return_val_if_fail (ESIM_IS_TEST_SMDP (self), NULL);
	order = order_by_id (self, matching_id);
	if (order == NULL)
		return NULL;
	/* LPA:1$<SM-DP+ address>$<matching ID>[$<SM-DP+ OID>[$<confirmation code required>]] */
	if (order->confirmation_code != NULL)
		return g_strdup_printf ("LPA:1$%s$%s$$1", self->address, order->matching_id);
	return g_strdup_printf ("LPA:1$%s$%s", self->address, order->matching_id);
}

const gchar *
esim_test_smdp_get_order_iccid (EsimTestSmdp *self, const gchar *matching_id)
{
	SmdpOrder *order;

	g_return_val_if_fail (ESIM_IS_TEST_SMDP (self), NULL);
	order = order_by_id (self, matching_id);
	return order != NULL ? order->iccid : NULL;
}

EsimTestSmdpOrderState
esim_test_smdp_get_order_state (EsimTestSmdp *self, const gchar *matching_id)
{
	SmdpOrder *order;

	g_return_val_if_fail (ESIM_IS_TEST_SMDP (self), ESIM_TEST_SMDP_ORDER_RELEASED);
	order = order_by_id (self, matching_id);
	g_return_val_if_fail (order != NULL, ESIM_TEST_SMDP_ORDER_RELEASED);
	return order->state;
}

GStrv
esim_test_smdp_dup_matching_ids (EsimTestSmdp *self)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

	g_return_val_if_fail (ESIM_IS_TEST_SMDP (self), NULL);
	for (guint i = 0; i < self->orders->len; i++)
		g_strv_builder_add (builder, ((SmdpOrder *) g_ptr_array_index (self->orders, i))->matching_id);
	return g_strv_builder_end (builder);
}

/* ---- requests --------------------------------------------------------------------------------- */

guint
esim_test_smdp_handle (EsimTestSmdp *self, const gchar *function, const gchar *body, gsize len,
                       gchar **answer)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable ();
	g_autoptr(GError) error = NULL;
	gpointer count;
	JsonNode *root;

	g_return_val_if_fail (ESIM_IS_TEST_SMDP (self), 500);
	g_return_val_if_fail (function != NULL && (body != NULL || len == 0), 500);

	if (answer != NULL)
		*answer = NULL;
	count = g_hash_table_lookup (self->request_counts, function);
	g_hash_table_insert (self->request_counts, g_strdup (function),
	                     GUINT_TO_POINTER (GPOINTER_TO_UINT (count) + 1));
	for (guint i = 0; i < G_N_ELEMENTS (functions); i++) {
		g_autofree gchar *text = NULL;
		guint status;

		if (!g_str_equal (function, functions[i].name))
			continue;
		if (len > MAX_REQUEST_SIZE || !json_parser_load_from_data (parser, body, (gssize) len, &error) ||
		    (root = json_parser_get_root (parser)) == NULL || !JSON_NODE_HOLDS_OBJECT (root)) {
			g_message ("ES9+ %s: the request is no JSON object", function);
			return SOUP_STATUS_BAD_REQUEST;
		}
		status = functions[i].function (self, json_node_get_object (root), &text);
		if (answer != NULL)
			*answer = g_steal_pointer (&text);
		return status;
	}
	g_message ("ES9+: no function %s", function);
	return SOUP_STATUS_NOT_FOUND;
}

/* The server died in the middle of the answer: half of it, then the connection closes. */
static void
drop_mid_answer (SoupServerMessage *msg, const gchar *answer)
{
	g_autoptr(GIOStream) io = soup_server_message_steal_connection (msg);
	g_autofree gchar *head = g_strdup_printf ("HTTP/1.1 200 OK\r\n"
	                                          "Content-Type: application/json;charset=UTF-8\r\n"
	                                          "Content-Length: %" G_GSIZE_FORMAT "\r\n\r\n",
	                                          strlen (answer));
	GOutputStream *out = g_io_stream_get_output_stream (io);

	g_output_stream_write_all (out, head, strlen (head), NULL, NULL, NULL);
	g_output_stream_write_all (out, answer, strlen (answer) / 2, NULL, NULL, NULL);
	g_output_stream_flush (out, NULL, NULL);
	g_io_stream_close (io, NULL, NULL);
}

static void
server_callback (SoupServer *server, SoupServerMessage *msg, const char *path, GHashTable *query,
                 gpointer user_data)
{
	EsimTestSmdp *self = user_data;
	SoupMessageHeaders *headers = soup_server_message_get_response_headers (msg);
	SoupMessageHeaders *request_headers = soup_server_message_get_request_headers (msg);
	const gchar *protocol = soup_message_headers_get_one (request_headers, "X-Admin-Protocol");
	const gchar *function = g_str_has_prefix (path, PATH_PREFIX) ? path + strlen (PATH_PREFIX) : NULL;
	GSocket *socket = soup_server_message_get_socket (msg);
	g_autoptr(GBytes) body = NULL;
	g_autofree gchar *answer = NULL;
	gpointer forced;
	guint status;

	if (socket != NULL && !g_hash_table_contains (self->sockets, socket))
		g_hash_table_add (self->sockets, g_object_ref (socket));
	if (function == NULL) {
		soup_server_message_set_status (msg, SOUP_STATUS_NOT_FOUND, NULL);
		return;
	}
	if (g_strcmp0 (soup_server_message_get_method (msg), SOUP_METHOD_POST) != 0) {
		soup_server_message_set_status (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
		return;
	}
	/* SGP.22 §6.5.1.1: the LPA names the protocol; pySim accepts any gsma/rsp/v2.x */
	if (protocol == NULL || !g_str_has_prefix (protocol, "gsma/rsp/v2."))
		g_message ("ES9+ %s: X-Admin-Protocol %s", function, protocol != NULL ? protocol : "missing");
	if (g_hash_table_lookup_extended (self->http_errors, function, NULL, &forced)) {
		g_hash_table_insert (self->request_counts, g_strdup (function),
		                     GUINT_TO_POINTER (esim_test_smdp_get_request_count (self, function) + 1));
		soup_server_message_set_status (msg, GPOINTER_TO_UINT (forced), NULL);
		return;
	}
	body = soup_message_body_flatten (soup_server_message_get_request_body (msg));
	status = esim_test_smdp_handle (self, function, g_bytes_get_data (body, NULL), g_bytes_get_size (body),
	                                &answer);
	if (status == SOUP_STATUS_OK && answer != NULL && g_str_equal (function, "getBoundProfilePackage") &&
	    (self->faults & ESIM_TEST_SMDP_FAULT_DROP_CONNECTION)) {
		g_message ("ES9+ getBoundProfilePackage: dropping the connection mid-answer (fault)");
		drop_mid_answer (msg, answer);
		return;
	}
	soup_message_headers_replace (headers, "X-Admin-Protocol", "gsma/rsp/v2.5.0");
	soup_server_message_set_status (msg, status, NULL);
	if (answer != NULL) {
		/* the length first: the order C evaluates arguments in is unspecified */
		gsize length = strlen (answer);

		soup_server_message_set_response (msg, "application/json;charset=UTF-8", SOUP_MEMORY_TAKE,
		                                  g_steal_pointer (&answer), length);
	}
}

gboolean
esim_test_smdp_listen (EsimTestSmdp *self, const gchar *address, GError **error)
{
	g_autoptr(GSocketConnectable) connectable = NULL;
	g_autoptr(GSocketAddressEnumerator) enumerator = NULL;
	g_autoptr(GSocketAddress) socket_address = NULL;
	g_autoptr(GError) local = NULL;
	GSList *uris;

	g_return_val_if_fail (ESIM_IS_TEST_SMDP (self), FALSE);
	g_return_val_if_fail (address != NULL && self->server == NULL, FALSE);

	connectable = g_network_address_parse (address, 0, &local);
	if (connectable != NULL) {
		enumerator = g_socket_connectable_enumerate (connectable);
		socket_address = g_socket_address_enumerator_next (enumerator, NULL, &local);
	}
	if (socket_address == NULL) {
		g_set_error (error, ESIM_TEST_SMDP_ERROR, ESIM_TEST_SMDP_ERROR_LISTEN, "cannot listen on %s: %s",
		             address, local != NULL ? local->message : "no address");
		return FALSE;
	}
	self->server = soup_server_new ("tls-certificate", self->tls, NULL);
	esim_test_server_guard_attach (self->server);
	soup_server_add_handler (self->server, NULL, server_callback, self, NULL);
	if (!soup_server_listen (self->server, socket_address, SOUP_SERVER_LISTEN_HTTPS, &local)) {
		g_set_error (error, ESIM_TEST_SMDP_ERROR, ESIM_TEST_SMDP_ERROR_LISTEN, "cannot listen on %s: %s",
		             address, local->message);
		g_clear_object (&self->server);
		return FALSE;
	}
	uris = soup_server_get_uris (self->server);
	self->port = uris != NULL ? (guint16) g_uri_get_port (uris->data) : 0;
	g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);
	g_free (self->address);
	self->address = self->port == 443 ? g_strdup (self->host) :
	                g_strdup_printf ("%s:%u", self->host, self->port);
	return TRUE;
}

const gchar *
esim_test_smdp_get_device_tac (EsimTestSmdp *self)
{
	g_return_val_if_fail (ESIM_IS_TEST_SMDP (self), NULL);
	return self->device_tac;
}

const gchar *
esim_test_smdp_get_device_imei (EsimTestSmdp *self)
{
	g_return_val_if_fail (ESIM_IS_TEST_SMDP (self), NULL);
	return self->device_imei;
}
