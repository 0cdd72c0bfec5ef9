/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ES9+ functions of the test SM-DP+ (SGP.22 v2.5 §5.6; JSON binding
 * §6.5.2), with the checks and status codes a real SM-DP+ applies.  The codes
 * are SGP.22's subject/reason pairs as osmocom pySim osmo-smdpp.py raises
 * them and estkme-group/lpac euicc/es9p_errors.c names them:
 *   8.8.1/3.8  SM-DP+ address refused           8.8.2/3.1  no CI key the SM-DP+ supports
 *   8.8.4/3.7  no DPauth under a CI of the eUICC  8.10.1/3.9 transaction ID unknown
 *   8.11.1/3.9 the EUM's CI is unknown          8.1.2/6.1, 8.1.3/6.1/6.3 EUM / eUICC
 *                                               certificate invalid / expired
 *   8.1/6.1    eUICC signature or serverChallenge invalid
 *   8.2.6/3.8  matching ID refused              8.1.1/3.8  EID not the order's
 *   8.2.7/2.2, 3.8, 6.4  confirmation code missing, refused, retries used up
 *   8.8.5/6.4  order blocked (retries)          8.8/3.1    SM-DP+ OID invalid
 *
 * Signatures, as the eUICC makes them (esim-veuicc-download.c lists them):
 * serverSignature1 over serverSigned1; euiccSignature1 over euiccSigned1;
 * smdpSignature2 over smdpSigned2 ‖ 5F37 40 euiccSignature1; euiccSignature2
 * over euiccSigned2 ‖ 5F37 40 smdpSignature2; euiccSignPIR over
 * ProfileInstallationResultData; cancel over EuiccCancelSessionSigned — each
 * verified on the bytes as received, never re-encoded (pySim osmo-smdpp
 * re-encodes, a TODO in its code: "use original data, don't re-encode?").
 */

#define G_LOG_DOMAIN "esim-test-smdp"

#include <gnutls/crypto.h>
#include <string.h>

#include "esim-bpp.h"
#include "esim-crypto.h"
#include "esim-der.h"
#include "esim-ecdsa.h"
#include "esim-ecka.h"
#include "esim-tags.h"
#include "esim-test-smdp-private.h"
#include "esim-util.h"

/* hostId of the key agreement's CRT (SGP.22 §2.6.4.2: 1 to 16 bytes of the SM-DP+'s choosing) */
#define HOST_ID "esimd-test-smdp"

/* ---- requests --------------------------------------------------------------------------------- */

static const gchar *
member_string (JsonObject *request, const gchar *name)
{
	JsonNode *node = json_object_get_member (request, name);

	if (node == NULL || json_node_get_value_type (node) != G_TYPE_STRING) {
		g_message ("ES9+ request: \"%s\" missing or not a string", name);
		return NULL;
	}
	return json_node_get_string (node);
}

/* Standard base64 (RFC 4648 §4), padded; NULL for anything else. */
static GBytes *
member_base64 (JsonObject *request, const gchar *name)
{
	const gchar *text = member_string (request, name);
	gsize len, out_len = 0;
	guchar *data;

	if (text == NULL)
		return NULL;
	len = strlen (text);
	if (len == 0 || len % 4 != 0 || strspn (text, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                                              "0123456789+/=") != len ||
	    (strchr (text, '=') != NULL && strspn (strchr (text, '='), "=") != strlen (strchr (text, '=')))) {
		g_message ("ES9+ request: \"%s\" is not base64", name);
		return NULL;
	}
	data = g_base64_decode (text, &out_len);
	return g_bytes_new_take (data, out_len);
}

/* A base64 member that is exactly one DER element tagged @tag. */
static GBytes *
member_tlv (JsonObject *request, const gchar *name, EsimTag tag, EsimTlv *tlv)
{
	g_autoptr(GBytes) bytes = member_base64 (request, name);

	if (bytes == NULL ||
	    !esim_tlv_parse_tagged (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), tag, tlv, NULL)) {
		g_message ("ES9+ request: \"%s\" is not one %X element", name, tag);
		return NULL;
	}
	return g_steal_pointer (&bytes);
}

/* The children of @parent into @out, exactly @n of them. */
static gboolean
children_exact (const EsimTlv *parent, EsimTlv *out, guint n)
{
	EsimTlvIter iter;
	EsimTlv extra;
	guint i = 0;

	if (!parent->constructed)
		return FALSE;
	esim_tlv_iter_init (&iter, parent);
	while (i < n && esim_tlv_iter_next (&iter, &out[i], NULL))
		i++;
	return i == n && !esim_tlv_iter_next (&iter, &extra, NULL) && iter.pos == iter.end;
}

static SmdpSession *
find_session (EsimTestSmdp *self, const gchar *transaction_id)
{
	g_autofree gchar *upper = transaction_id != NULL ? g_ascii_strup (transaction_id, -1) : NULL;

	return upper != NULL ? g_hash_table_lookup (self->sessions, upper) : NULL;
}

static guint
failed (gchar **answer, const gchar *subject, const gchar *reason, const gchar *message)
{
	*answer = smdp_answer_failed (subject, reason, message);
	return SOUP_STATUS_OK;
}

static guint
bad_request (const gchar *function)
{
	g_message ("ES9+ %s: malformed request", function);
	return SOUP_STATUS_BAD_REQUEST;
}

static void
sign (SmdpSigner *signer, const guint8 *data, gsize len, guint8 out[ESIM_SIGNATURE_LENGTH])
{
	g_autoptr(GError) error = NULL;

	/* the keys were checked when loaded: only a broken crypto library fails here */
	if (!esim_ecdsa_sign (signer->key, data, len, out, &error))
		g_critical ("cannot sign: %s", error->message);
}

/* What smdpSignature2 and euiccSignature2 cover: the signed data object, then the other
 * side's signature as its 5F37 data object. */
static GBytes *
with_signature (const guint8 *signed_raw, gsize signed_len, const guint8 *signature)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	esim_der_writer_put_raw (writer, signed_raw, signed_len);
	esim_der_writer_put (writer, ESIM_TAG_SIGNATURE, signature, ESIM_SIGNATURE_LENGTH);
	return esim_der_writer_finish (writer);
}

/* A signature as its data object: 5F37 40 r‖s. */
static GBytes *
signature_do (const guint8 *signature)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	esim_der_writer_put (writer, ESIM_TAG_SIGNATURE, signature, ESIM_SIGNATURE_LENGTH);
	return esim_der_writer_finish (writer);
}

/* X.690 §8.19 OID value to dotted text; NULL when malformed. */
static gchar *
oid_to_string (const guint8 *data, gsize len)
{
	g_autoptr(GString) out = g_string_new (NULL);
	guint64 value = 0;
	gboolean first = TRUE;

	if (len == 0 || (data[len - 1] & 0x80))
		return NULL;
	for (gsize i = 0; i < len; i++) {
		if (value > (G_MAXUINT64 >> 7))
			return NULL;
		value = (value << 7) | (data[i] & 0x7F);
		if (data[i] & 0x80)
			continue;
		if (first) {
			guint arc1 = value < 80 ? (guint) (value / 40) : 2;
			g_string_append_printf (out, "%u.%" G_GUINT64_FORMAT, arc1, value - 40 * arc1);
			first = FALSE;
		} else {
			g_string_append_printf (out, ".%" G_GUINT64_FORMAT, value);
		}
		value = 0;
	}
	return g_string_free (g_steal_pointer (&out), FALSE);
}

/* The OID of @dotted, as DER value bytes. */
static GBytes *
oid_encode (const gchar *dotted)
{
	g_auto(GStrv) arcs = g_strsplit (dotted, ".", -1);
	GByteArray *out = g_byte_array_new ();

	for (guint i = 1; arcs[0] != NULL && arcs[i] != NULL; i++) {
		guint64 arc = g_ascii_strtoull (arcs[i], NULL, 10);
		guint8 tmp[10];
		guint n = 0;

		if (i == 1)
			arc += 40 * g_ascii_strtoull (arcs[0], NULL, 10);
		do {
			tmp[n] = (guint8) ((arc & 0x7F) | (n > 0 ? 0x80 : 0));
			n++;
			arc >>= 7;
		} while (arc > 0);
		while (n > 0)
			g_byte_array_append (out, &tmp[--n], 1);
	}
	return g_byte_array_free_to_bytes (out);
}

/* ---- the profile ------------------------------------------------------------------------------ */

GBytes *
smdp_build_upp (const gchar *header_iccid, gsize size)
{
	g_autoptr(EsimDerWriter) w = esim_der_writer_new ();
	g_autoptr(GBytes) oid = oid_encode ("2.999.10");
	g_autofree guint8 *content = g_malloc (size);
	g_autofree gchar *padded = g_strdup_printf ("%-20s", header_iccid);
	g_autoptr(GBytes) iccid = NULL;

	/* ProfileHeader.iccid: the digits in order, F-padded (pySim saip personalization
	 * h2b(rpad(iccid, 20))) */
	g_strdelimit (padded, " ", 'F');
	iccid = esim_hex_decode (padded, NULL);
	for (gsize i = 0; i < size; i++)
		content[i] = (guint8) (i * 13 + 7);
	/* ProfileElement CHOICE (PEDefinitions, automatic): header [0] */
	esim_der_writer_begin (w, ESIM_TAG_PE_HEADER);
	esim_der_writer_put_uint (w, ESIM_TAG_PE_HEADER_MAJOR_VERSION, 2);
	esim_der_writer_put_uint (w, ESIM_TAG_PE_HEADER_MINOR_VERSION, 3);
	esim_der_writer_put_utf8 (w, ESIM_TAG_PE_HEADER_PROFILE_TYPE, "esimd test");
	esim_der_writer_put_bytes (w, ESIM_TAG_PE_HEADER_ICCID, iccid);
	esim_der_writer_begin (w, ESIM_TAG_PE_HEADER_MANDATORY_SERVICES);
	esim_der_writer_put_null (w, 0x81);   /* ServicesList.usim [1] */
	esim_der_writer_end (w);
	esim_der_writer_begin (w, ESIM_TAG_PE_HEADER_MANDATORY_GFSTE);
	esim_der_writer_end (w);
	esim_der_writer_end (w);
	/* nonStandard [9] { nonStandard-header [0] PEHeader, issuerID [1], content [2] } */
	esim_der_writer_begin (w, ESIM_TAG_PE_NON_STANDARD);
	esim_der_writer_begin (w, ESIM_TAG_PE_SUB_HEADER);
	esim_der_writer_put_uint (w, ESIM_TAG_PE_SUB_HEADER_IDENTIFICATION, 2);
	esim_der_writer_end (w);
	esim_der_writer_put_bytes (w, ESIM_TAG_PE_NON_STANDARD_ISSUER, oid);
	esim_der_writer_put (w, ESIM_TAG_PE_NON_STANDARD_CONTENT, content, size);
	esim_der_writer_end (w);
	/* end [10] { end-header [0] PEHeader } */
	esim_der_writer_begin (w, ESIM_TAG_PE_END);
	esim_der_writer_begin (w, ESIM_TAG_PE_SUB_HEADER);
	esim_der_writer_put_uint (w, ESIM_TAG_PE_SUB_HEADER_IDENTIFICATION, 3);
	esim_der_writer_end (w);
	esim_der_writer_end (w);
	return esim_der_writer_finish (w);
}

/* StoreMetadataRequest ::= [37] { iccid, serviceProviderName [17], profileName [18],
 *   profileClass [21], notificationConfigurationInfo [22] { { profileManagementOperation
 *   [0], notificationAddress [1] } } }: every event reported here. */
static GBytes *
build_metadata (EsimTestSmdp *self, SmdpOrder *order)
{
	g_autoptr(EsimDerWriter) w = esim_der_writer_new ();
	guint8 bcd[ESIM_ICCID_LENGTH];

	esim_iccid_to_bcd (order->iccid, bcd, NULL);
	esim_der_writer_begin (w, ESIM_TAG_PROFILE_METADATA);
	esim_der_writer_put (w, ESIM_TAG_ICCID, bcd, sizeof (bcd));
	esim_der_writer_put_utf8 (w, ESIM_TAG_META_SERVICE_PROVIDER, order->provider);
	esim_der_writer_put_utf8 (w, ESIM_TAG_META_PROFILE_NAME, order->name);
	esim_der_writer_put_uint (w, ESIM_TAG_META_PROFILE_CLASS, order->klass);
	esim_der_writer_begin (w, ESIM_TAG_META_NOTIFICATION_CONFIG);
	esim_der_writer_begin (w, ESIM_TAG_SEQUENCE);
	esim_der_writer_put_named_bits (w, ESIM_TAG_NOTIF_CONFIG_OPERATION, 0xF);
	esim_der_writer_put_utf8 (w, ESIM_TAG_NOTIF_CONFIG_ADDRESS, self->address);
	esim_der_writer_end (w);
	esim_der_writer_end (w);
	esim_der_writer_end (w);
	return esim_der_writer_finish (w);
}

/* ---- initiateAuthentication (SGP.22 §5.6.1) --------------------------------------------------- */

/* SubjectKeyIdentifier @pkid in the SEQUENCE OF of @list_tag in EUICCInfo1. */
static gboolean
info1_lists (const EsimTlv *info1, EsimTag list_tag, GBytes *pkid)
{
	EsimTlv list, item;
	EsimTlvIter iter;

	if (pkid == NULL || !esim_tlv_find (info1, list_tag, &list, NULL))
		return FALSE;
	esim_tlv_iter_init (&iter, &list);
	while (esim_tlv_iter_next (&iter, &item, NULL)) {
		if (item.tag == ESIM_TAG_OCTET_STRING && item.len == g_bytes_get_size (pkid) &&
		    memcmp (item.value, g_bytes_get_data (pkid, NULL), item.len) == 0)
			return TRUE;
	}
	return FALSE;
}

static SmdpSigner *
choose_dp_auth (EsimTestSmdp *self)
{
	if ((self->faults & ESIM_TEST_SMDP_FAULT_FOREIGN_CI) && self->foreign_auth.cert != NULL)
		return &self->foreign_auth;
	if ((self->faults & ESIM_TEST_SMDP_FAULT_EXPIRED_DPAUTH) && self->expired_auth.cert != NULL)
		return &self->expired_auth;
	return &self->dp_auth;
}

/* ServerSigned1 ::= SEQUENCE { transactionId [0], euiccChallenge [1], serverAddress [3],
 *   serverChallenge [4] } */
static GBytes *
build_server_signed1 (EsimTestSmdp *self, SmdpSession *session, GBytes *challenge)
{
	g_autoptr(EsimDerWriter) w = esim_der_writer_new ();

	esim_der_writer_begin (w, ESIM_TAG_SEQUENCE);
	esim_der_writer_put (w, ESIM_TAG_TRANSACTION_ID, session->tid, sizeof (session->tid));
	esim_der_writer_put_bytes (w, ESIM_TAG_SIGNED1_EUICC_CHALLENGE, challenge);
	esim_der_writer_put_utf8 (w, ESIM_TAG_SIGNED1_SERVER_ADDRESS, self->address);
	esim_der_writer_put (w, ESIM_TAG_SIGNED1_SERVER_CHALLENGE, session->server_challenge,
	                     sizeof (session->server_challenge));
	esim_der_writer_end (w);
	return esim_der_writer_finish (w);
}

guint
smdp_initiate_authentication (EsimTestSmdp *self, JsonObject *request, gchar **answer)
{
	const gchar *address = member_string (request, "smdpAddress");
	g_autoptr(GBytes) challenge = member_base64 (request, "euiccChallenge");
	g_autoptr(GBytes) info1 = NULL;
	g_autoptr(GBytes) signed1 = NULL;
	g_autoptr(GBytes) sig_do = NULL;
	g_autoptr(JsonBuilder) builder = NULL;
	SmdpSigner *dp_auth = choose_dp_auth (self);
	GBytes *pkid = esim_cert_get_authority_key_id (dp_auth->cert);
	SmdpSession *session;
	EsimTlv info1_tlv;
	EsimCert *ci = NULL;
	guint8 signature[ESIM_SIGNATURE_LENGTH];
	guint8 pkid_do[2 + 64];

	info1 = member_tlv (request, "euiccInfo1", ESIM_TAG_GET_EUICC_INFO1, &info1_tlv);
	if (address == NULL || challenge == NULL || info1 == NULL ||
	    g_bytes_get_size (challenge) != ESIM_EUICC_CHALLENGE_LENGTH || !info1_tlv.constructed ||
	    pkid == NULL || g_bytes_get_size (pkid) > 64)
		return bad_request ("initiateAuthentication");
	/* SGP.22 §5.6.1: the address it was asked at, compared case-insensitively (pySim) */
	if (g_ascii_strcasecmp (address, self->address) != 0)
		return failed (answer, "8.8.1", "3.8", "Invalid SM-DP+ Address");
	/* a DPauth under a CI the eUICC verifies with, unless the fault wants otherwise */
	if (!(self->faults & ESIM_TEST_SMDP_FAULT_FOREIGN_CI) &&
	    !info1_lists (&info1_tlv, ESIM_TAG_INFO_CI_PKIDS_VERIFICATION, pkid))
		return failed (answer, "8.8.4", "3.7",
		               "The SM-DP+ has no CERT.DPauth.ECDSA signed by one of the CI Public Key supported "
		               "by the eUICC");
	/* and a CI the eUICC signs under that this SM-DP+ knows */
	for (guint i = 0; i < self->cis->len && ci == NULL; i++) {
		EsimCert *candidate = g_ptr_array_index (self->cis, i);

		if (info1_lists (&info1_tlv, ESIM_TAG_INFO_CI_PKIDS_SIGNING, esim_cert_get_subject_key_id (candidate)))
			ci = candidate;
	}
	if (ci == NULL)
		return failed (answer, "8.8.2", "3.1",
		               "None of the proposed Public Key Identifiers is supported by the SM-DP+");

	session = g_new0 (SmdpSession, 1);
	gnutls_rnd (GNUTLS_RND_NONCE, session->tid, sizeof (session->tid));
	gnutls_rnd (GNUTLS_RND_NONCE, session->server_challenge, sizeof (session->server_challenge));
	session->transaction_id = esim_hex_encode (session->tid, sizeof (session->tid));
	session->dp_auth = dp_auth;
	session->dp_pb = (self->faults & ESIM_TEST_SMDP_FAULT_FOREIGN_CI) && self->foreign_pb.cert != NULL ?
	                 &self->foreign_pb : &self->dp_pb;
	session->ci = esim_cert_ref (ci);
	session->state = SMDP_SESSION_INITIATED;
	g_hash_table_insert (self->sessions, session->transaction_id, session);

	signed1 = build_server_signed1 (self, session, challenge);
	sign (dp_auth, g_bytes_get_data (signed1, NULL), g_bytes_get_size (signed1), signature);
	if (self->faults & ESIM_TEST_SMDP_FAULT_BAD_SERVER_SIGNATURE)
		signature[7] ^= 0x20;
	pkid_do[0] = ESIM_TAG_SUBJECT_KEY_ID;
	pkid_do[1] = (guint8) g_bytes_get_size (pkid);
	memcpy (pkid_do + 2, g_bytes_get_data (pkid, NULL), g_bytes_get_size (pkid));
	builder = smdp_answer_begin ();
	smdp_answer_add_string (builder, "transactionId", session->transaction_id);
	smdp_answer_add_base64 (builder, "serverSigned1", g_bytes_get_data (signed1, NULL),
	                        g_bytes_get_size (signed1));
	sig_do = signature_do (signature);
	smdp_answer_add_base64 (builder, "serverSignature1", g_bytes_get_data (sig_do, NULL),
	                        g_bytes_get_size (sig_do));
	smdp_answer_add_base64 (builder, "euiccCiPKIdToBeUsed", pkid_do, 2 + g_bytes_get_size (pkid));
	smdp_answer_add_base64 (builder, "serverCertificate",
	                        g_bytes_get_data (esim_cert_get_der (dp_auth->cert), NULL),
	                        g_bytes_get_size (esim_cert_get_der (dp_auth->cert)));
	*answer = smdp_answer_finish (builder);
	g_debug ("initiateAuthentication: session %s", session->transaction_id);
	return SOUP_STATUS_OK;
}

/* ---- authenticateClient (SGP.22 §5.6.3) ------------------------------------------------------- */

/* The eUICC → EUM → CI chain, valid now: NULL or the failure's status code. */
static const gchar *
verify_euicc_chain (SmdpSession *session, EsimCert *euicc, EsimCert *eum, const gchar **reason)
{
	g_autoptr(GPtrArray) cis = g_ptr_array_new ();
	g_autoptr(GError) error = NULL;
	GBytes *aki = esim_cert_get_authority_key_id (eum);

	*reason = "3.9";
	if (aki == NULL || !g_bytes_equal (aki, esim_cert_get_subject_key_id (session->ci)))
		return "8.11.1";
	g_ptr_array_add (cis, session->ci);
	if (esim_cert_verify_chain (euicc, ESIM_CERT_ROLE_EUICC, eum, cis, NULL, ESIM_CERT_TIME_NOW, NULL, &error))
		return NULL;
	g_message ("authenticateClient: eUICC certificate chain: %s", error->message);
	*reason = g_error_matches (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_EXPIRED) ? "6.3" : "6.1";
	/* an issuer that does not sign what it should: the EUM certificate is at fault */
	return g_error_matches (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_UNTRUSTED) ? "8.1.2" : "8.1.3";
}

/* TBCD digits (3GPP TS 29.002: the first digit in the low nibble), F fillers dropped.  The
 * IMEI's last octet is SGP.22 §4.2's: the check digit in the high nibble, F in the low
 * (AOSP EuiccPort.getDeviceId), so its nibbles are read the other way round. */
static gchar *
tbcd_digits (const EsimTlv *tlv, gboolean imei)
{
	g_autoptr(GString) digits = g_string_new (NULL);

	for (gsize i = 0; i < tlv->len; i++) {
		guint8 b = tlv->value[i];
		guint8 first = b & 0x0F, second = b >> 4;

		if (imei && i + 1 == tlv->len) {
			first = b >> 4;
			second = b & 0x0F;
		}
		if (first <= 9)
			g_string_append_c (digits, (gchar) ('0' + first));
		if (second <= 9)
			g_string_append_c (digits, (gchar) ('0' + second));
	}
	return g_string_free (g_steal_pointer (&digits), FALSE);
}

/* DeviceInfo ::= SEQUENCE { tac [0] Octet4, deviceCapabilities [1], imei [2] Octet8 OPTIONAL } */
static void
record_device_info (EsimTestSmdp *self, const EsimTlv *ctx_params)
{
	EsimTlvIter iter, members;
	EsimTlv item, member;

	g_clear_pointer (&self->device_tac, g_free);
	g_clear_pointer (&self->device_imei, g_free);
	esim_tlv_iter_init (&iter, ctx_params);
	while (esim_tlv_iter_next (&iter, &item, NULL)) {
		if (item.tag != ESIM_TAG_CTX_DEVICE_INFO)
			continue;
		esim_tlv_iter_init (&members, &item);
		while (esim_tlv_iter_next (&members, &member, NULL)) {
			if (member.tag == ESIM_TAG_DEVICE_TAC && member.len == 4)
				self->device_tac = tbcd_digits (&member, FALSE);
			else if (member.tag == ESIM_TAG_DEVICE_IMEI && member.len == 8)
				self->device_imei = tbcd_digits (&member, TRUE);
		}
	}
}

/* EuiccSigned1 ::= SEQUENCE { transactionId [0], serverAddress [3], serverChallenge [4],
 *   euiccInfo2 [34], ctxParams1 } with ctxParams1 [0] { matchingId [0] OPT, deviceInfo [1] } */
static gboolean
parse_euicc_signed1 (const EsimTlv *signed1, EsimTlv *tid, EsimTlv *server_challenge, EsimTlv *ctx_params,
                     gchar **matching_id)
{
	EsimTlv c[5], ctx;

	if (!children_exact (signed1, c, 5) || c[0].tag != ESIM_TAG_TRANSACTION_ID ||
	    c[1].tag != ESIM_TAG_SIGNED1_SERVER_ADDRESS || c[2].tag != ESIM_TAG_SIGNED1_SERVER_CHALLENGE ||
	    c[3].tag != ESIM_TAG_SIGNED1_EUICC_INFO2 || c[4].tag != ESIM_TAG_CTX_PARAMS1 || !c[4].constructed)
		return FALSE;
	*tid = c[0];
	*server_challenge = c[2];
	*ctx_params = c[4];
	*matching_id = NULL;
	if (esim_tlv_parse (c[4].value, c[4].len, &ctx, NULL, NULL) && ctx.tag == ESIM_TAG_CTX_MATCHING_ID) {
		*matching_id = esim_tlv_dup_utf8 (&ctx, NULL);
		if (*matching_id == NULL)
			return FALSE;
	}
	if (*matching_id == NULL)
		*matching_id = g_strdup ("");
	return TRUE;
}

/* The order for this eUICC: NULL and the status code when refused. */
static SmdpOrder *
choose_order (EsimTestSmdp *self, const gchar *matching_id, const gchar *eid, gchar **answer)
{
	SmdpOrder *order = smdp_find_order (self, matching_id, eid);

	if (order == NULL) {
		failed (answer, "8.2.6", "3.8", "MatchingID (AC_Token or EventID) is refused");
		return NULL;
	}
	if (order->eid != NULL && g_strcmp0 (order->eid, eid) != 0) {
		failed (answer, "8.1.1", "3.8", "EID doesn't match the expected value");
		return NULL;
	}
	if (order->state == ESIM_TEST_SMDP_ORDER_INSTALLED) {
		failed (answer, "8.2.6", "3.8", "MatchingID refused: the profile is installed");
		return NULL;
	}
	if (order->state == ESIM_TEST_SMDP_ORDER_BLOCKED) {
		failed (answer, "8.8.5", "6.4", "The maximum number of retries for the Profile download order "
		        "has been exceeded");
		return NULL;
	}
	return order;
}

/* SmdpSigned2 ::= SEQUENCE { transactionId [0], ccRequiredFlag BOOLEAN } and its signature. */
static gchar *
authenticate_ok (EsimTestSmdp *self, SmdpSession *session)
{
	g_autoptr(EsimDerWriter) w = esim_der_writer_new ();
	g_autoptr(GBytes) signed2 = NULL;
	g_autoptr(GBytes) tbs = NULL;
	g_autoptr(GBytes) metadata = build_metadata (self, session->order);
	g_autoptr(GBytes) sig_do = NULL;
	g_autoptr(JsonBuilder) builder = smdp_answer_begin ();
	GBytes *cert = esim_cert_get_der (session->dp_pb->cert);

	esim_der_writer_begin (w, ESIM_TAG_SEQUENCE);
	esim_der_writer_put (w, ESIM_TAG_TRANSACTION_ID, session->tid, sizeof (session->tid));
	esim_der_writer_put_bool (w, ESIM_TAG_CC_REQUIRED_FLAG, session->order->confirmation_code != NULL);
	esim_der_writer_end (w);
	signed2 = esim_der_writer_finish (w);
	tbs = with_signature (g_bytes_get_data (signed2, NULL), g_bytes_get_size (signed2),
	                      session->euicc_signature1);
	sign (session->dp_pb, g_bytes_get_data (tbs, NULL), g_bytes_get_size (tbs), session->smdp_signature2);
	if (self->faults & ESIM_TEST_SMDP_FAULT_BAD_SMDP_SIGNATURE2)
		session->smdp_signature2[20] ^= 0x04;
	sig_do = signature_do (session->smdp_signature2);
	smdp_answer_add_string (builder, "transactionId", session->transaction_id);
	smdp_answer_add_base64 (builder, "profileMetadata", g_bytes_get_data (metadata, NULL),
	                        g_bytes_get_size (metadata));
	smdp_answer_add_base64 (builder, "smdpSigned2", g_bytes_get_data (signed2, NULL), g_bytes_get_size (signed2));
	smdp_answer_add_base64 (builder, "smdpSignature2", g_bytes_get_data (sig_do, NULL),
	                        g_bytes_get_size (sig_do));
	smdp_answer_add_base64 (builder, "smdpCertificate", g_bytes_get_data (cert, NULL), g_bytes_get_size (cert));
	return smdp_answer_finish (builder);
}

guint
smdp_authenticate_client (EsimTestSmdp *self, JsonObject *request, gchar **answer)
{
	SmdpSession *session = find_session (self, member_string (request, "transactionId"));
	g_autoptr(EsimCert) euicc = NULL;
	g_autoptr(EsimCert) eum = NULL;
	g_autoptr(GBytes) response = NULL;
	g_autofree gchar *matching_id = NULL;
	g_autofree gchar *eid = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *subject, *reason = NULL;
	EsimTlv top, arm, c[4], tid, server_challenge, ctx_params;
	SmdpOrder *order;

	response = member_tlv (request, "authenticateServerResponse", ESIM_TAG_AUTHENTICATE_SERVER, &top);
	if (response == NULL || !children_exact (&top, &arm, 1))
		return bad_request ("authenticateClient");
	if (session == NULL || session->state != SMDP_SESSION_INITIATED)
		return failed (answer, "8.10.1", "3.9", "The RSP session identified by the TransactionID is unknown");
	/* AuthenticateServerResponse: the eUICC's error alternative ends here (pySim raises) */
	if (arm.tag == ESIM_TAG_RESPONSE_ERROR)
		return failed (answer, "8.1", "6.1", "the eUICC refused AuthenticateServer");
	if (arm.tag != ESIM_TAG_RESPONSE_OK || !children_exact (&arm, c, 4) || c[0].tag != ESIM_TAG_SEQUENCE ||
	    c[1].tag != ESIM_TAG_SIGNATURE || c[1].len != ESIM_SIGNATURE_LENGTH ||
	    (euicc = esim_cert_new_from_der (c[2].raw, c[2].raw_len, NULL)) == NULL ||
	    (eum = esim_cert_new_from_der (c[3].raw, c[3].raw_len, NULL)) == NULL ||
	    !parse_euicc_signed1 (&c[0], &tid, &server_challenge, &ctx_params, &matching_id))
		return bad_request ("authenticateClient");
	subject = verify_euicc_chain (session, euicc, eum, &reason);
	if (subject != NULL)
		return failed (answer, subject, reason, "eUICC or EUM certificate invalid");
	if (!esim_cert_verify_signature (euicc, c[0].raw, c[0].raw_len, c[1].value, c[1].len, &error))
		return failed (answer, "8.1", "6.1", "eUICC signature is invalid");
	if (tid.len != sizeof (session->tid) || memcmp (tid.value, session->tid, tid.len) != 0)
		return failed (answer, "8.10.1", "3.9", "The signed transactionId is not this session's");
	if (server_challenge.len != sizeof (session->server_challenge) ||
	    memcmp (server_challenge.value, session->server_challenge, server_challenge.len) != 0)
		return failed (answer, "8.1", "6.1", "serverChallenge is invalid");
	record_device_info (self, &ctx_params);
	eid = esim_cert_dup_subject_serial_number (euicc);
	order = choose_order (self, matching_id, eid, answer);
	if (order == NULL)
		return SOUP_STATUS_OK;
	session->euicc_cert = g_steal_pointer (&euicc);
	session->eid = g_steal_pointer (&eid);
	session->order = order;
	memcpy (session->euicc_signature1, c[1].value, ESIM_SIGNATURE_LENGTH);
	session->state = SMDP_SESSION_AUTHENTICATED;
	*answer = authenticate_ok (self, session);
	return SOUP_STATUS_OK;
}

/* ---- getBoundProfilePackage (SGP.22 §5.6.2) --------------------------------------------------- */

/* hashCc = SHA-256(SHA-256(confirmation code) ‖ transactionId), SGP.22 §3.1.3.1 as lpac
 * es10b_prepare_download computes it (the transaction ID's bytes). */
static void
hash_confirmation_code (const gchar *code, const guint8 *tid, gsize tid_len, guint8 out[32])
{
	guint8 inner[32];
	guint8 buf[32 + 16];

	gnutls_hash_fast (GNUTLS_DIG_SHA256, code, strlen (code), inner);
	memcpy (buf, inner, sizeof (inner));
	memcpy (buf + sizeof (inner), tid, tid_len);
	gnutls_hash_fast (GNUTLS_DIG_SHA256, buf, sizeof (inner) + tid_len, out);
}

/* The confirmation code: NULL when it fits, else the status code. */
static const gchar *
check_confirmation_code (SmdpSession *session, const EsimTlv *hash_cc, const gchar **reason,
                         const gchar **message)
{
	SmdpOrder *order = session->order;
	guint8 expected[32];

	if (order->confirmation_code == NULL)
		return NULL;
	if (hash_cc == NULL) {
		*reason = "2.2";
		*message = "Confirmation Code is missing";
		return "8.2.7";
	}
	hash_confirmation_code (order->confirmation_code, session->tid, sizeof (session->tid), expected);
	if (hash_cc->len == sizeof (expected) && memcmp (hash_cc->value, expected, sizeof (expected)) == 0)
		return NULL;
	/* each wrong code costs one attempt; the last blocks the order */
	if (order->cc_left > 0)
		order->cc_left--;
	if (order->cc_left == 0) {
		order->state = ESIM_TEST_SMDP_ORDER_BLOCKED;
		*reason = "6.4";
		*message = "The maximum number of retries for the Confirmation Code has been exceeded";
	} else {
		*reason = "3.8";
		*message = "Confirmation Code is refused";
	}
	return "8.2.7";
}

/* A byte of the last 86's ciphertext flipped after its MAC was made. */
static void
tamper (GBytes **bpp)
{
	gsize len = g_bytes_get_size (*bpp);
	guint8 *copy = g_memdup2 (g_bytes_get_data (*bpp, NULL), len);
	EsimTlv top, part, element, last = { 0 };
	EsimTlvIter iter, items;

	if (!esim_tlv_parse_exact (copy, len, &top, NULL)) {
		g_free (copy);
		return;
	}
	esim_tlv_iter_init (&iter, &top);
	while (esim_tlv_iter_next (&iter, &part, NULL)) {
		if (part.tag != ESIM_TAG_BPP_PROFILE_ELEMENTS_LIST)
			continue;
		esim_tlv_iter_init (&items, &part);
		while (esim_tlv_iter_next (&items, &element, NULL))
			last = element;
	}
	if (last.raw != NULL && last.len > 12)
		copy[(last.raw - copy) + last.raw_len - 12] ^= 0x01;
	g_bytes_unref (*bpp);
	*bpp = g_bytes_new_take (copy, len);
}

/* ECKA with the eUICC's otPK, the session keys, InitialiseSecureChannel, and the
 * package: the profile protected with the session keys, or the order's PPP with
 * ReplaceSessionKeys (SGP.22 §2.5.4, §2.6.4; pySim es8p.py BoundProfilePackage). */
static GBytes *
bind_package (EsimTestSmdp *self, SmdpSession *session, const EsimTlv *otpk, GError **error)
{
	static const guint8 host_id[] = HOST_ID;
	g_autoptr(EsimEckaKey) ot_key = esim_ecka_key_generate (error);
	g_autoptr(EsimDerWriter) w = esim_der_writer_new ();
	g_autoptr(GBytes) iscr = NULL;
	g_autoptr(GBytes) oid = oid_encode (self->oid);
	g_autoptr(GBytes) configure_isdp = NULL;
	g_autoptr(GBytes) metadata = build_metadata (self, session->order);
	EsimBppContent content = { 0 };
	EsimBspKeys keys;
	guint8 secret[ESIM_ECKA_SECRET_LEN];
	guint8 eid[ESIM_EID_LENGTH];
	GBytes *bpp;

	if (ot_key == NULL ||
	    !esim_ecka_shared_secret (ot_key, otpk->value, otpk->len, secret, error) ||
	    !esim_eid_to_bytes (session->eid, eid, error) ||
	    !esim_bsp_derive_keys (secret, sizeof (secret), ESIM_BSP_KEY_TYPE_AES, ESIM_BSP_KEY_LENGTH, host_id,
	                           sizeof (host_id) - 1, eid, &keys, error))
		return NULL;
	memset (secret, 0, sizeof (secret));
	iscr = esim_init_secure_channel_build (session->tid, sizeof (session->tid), host_id, sizeof (host_id) - 1,
	                                       esim_ecka_key_get_public (ot_key), otpk->value,
	                                       session->dp_pb->key, error);
	if (iscr == NULL)
		return NULL;
	/* ConfigureISDPRequest { dpProprietaryData [24] { dpOid } } */
	esim_der_writer_begin (w, ESIM_TAG_CONFIGURE_ISDP);
	esim_der_writer_begin (w, ESIM_TAG_DP_PROPRIETARY_DATA);
	esim_der_writer_put_bytes (w, ESIM_TAG_OID, oid);
	esim_der_writer_end (w);
	esim_der_writer_end (w);
	configure_isdp = esim_der_writer_finish (w);
	content.init_secure_channel = iscr;
	content.configure_isdp = configure_isdp;
	content.store_metadata = metadata;
	if (session->order->protect_in_advance) {
		content.ppk = &session->order->ppk;
		content.ppp = session->order->ppp;
	} else {
		content.upp = session->order->upp;
	}
	bpp = esim_bpp_build (&keys, &content, error);
	memset (&keys, 0, sizeof (keys));
	return bpp;
}

/* EUICCSigned2 ::= SEQUENCE { transactionId [0], euiccOtpk [APPLICATION 73], hashCc OPT } */
static gboolean
parse_euicc_signed2 (const EsimTlv *signed2, EsimTlv *tid, EsimTlv *otpk, EsimTlv *hash_cc,
                     gboolean *has_hash_cc)
{
	EsimTlv c[3];

	*has_hash_cc = children_exact (signed2, c, 3);
	if (!*has_hash_cc && !children_exact (signed2, c, 2))
		return FALSE;
	if (c[0].tag != ESIM_TAG_TRANSACTION_ID || c[1].tag != ESIM_TAG_OTPK || c[1].len != 65 ||
	    (*has_hash_cc && c[2].tag != ESIM_TAG_HASH_CC))
		return FALSE;
	*tid = c[0];
	*otpk = c[1];
	if (*has_hash_cc)
		*hash_cc = c[2];
	return TRUE;
}

guint
smdp_get_bound_profile_package (EsimTestSmdp *self, JsonObject *request, gchar **answer)
{
	SmdpSession *session = find_session (self, member_string (request, "transactionId"));
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GBytes) tbs = NULL;
	g_autoptr(GBytes) bpp = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonBuilder) builder = NULL;
	const gchar *subject, *reason = NULL, *message = NULL;
	EsimTlv top, arm, c[2], tid, otpk, hash_cc = { 0 };
	gboolean has_hash_cc = FALSE;

	response = member_tlv (request, "prepareDownloadResponse", ESIM_TAG_PREPARE_DOWNLOAD, &top);
	if (response == NULL || !children_exact (&top, &arm, 1))
		return bad_request ("getBoundProfilePackage");
	/* after a dropped answer the LPA may ask again in the same session */
	if (session == NULL || session->state == SMDP_SESSION_INITIATED)
		return failed (answer, "8.10.1", "3.9", "The RSP session identified by the TransactionID is unknown");
	if (arm.tag == ESIM_TAG_RESPONSE_ERROR)
		return failed (answer, "8.1", "6.1", "the eUICC refused PrepareDownload");
	if (arm.tag != ESIM_TAG_RESPONSE_OK || !children_exact (&arm, c, 2) || c[0].tag != ESIM_TAG_SEQUENCE ||
	    c[1].tag != ESIM_TAG_SIGNATURE || c[1].len != ESIM_SIGNATURE_LENGTH ||
	    !parse_euicc_signed2 (&c[0], &tid, &otpk, &hash_cc, &has_hash_cc))
		return bad_request ("getBoundProfilePackage");
	tbs = with_signature (c[0].raw, c[0].raw_len, session->smdp_signature2);
	if (!esim_cert_verify_signature (session->euicc_cert, g_bytes_get_data (tbs, NULL), g_bytes_get_size (tbs),
	                                 c[1].value, c[1].len, &error))
		return failed (answer, "8.1", "6.1", "eUICC signature is invalid");
	if (tid.len != sizeof (session->tid) || memcmp (tid.value, session->tid, tid.len) != 0)
		return failed (answer, "8.10.1", "3.9", "The signed transactionId is not this session's");
	subject = check_confirmation_code (session, has_hash_cc ? &hash_cc : NULL, &reason, &message);
	if (subject != NULL)
		return failed (answer, subject, reason, message);
	bpp = bind_package (self, session, &otpk, &error);
	if (bpp == NULL)
		return failed (answer, "8.1", "6.1", error->message);
	if (self->faults & ESIM_TEST_SMDP_FAULT_TAMPER_BPP)
		tamper (&bpp);
	session->state = SMDP_SESSION_BOUND;
	session->order->state = ESIM_TEST_SMDP_ORDER_DOWNLOADED;
	builder = smdp_answer_begin ();
	smdp_answer_add_string (builder, "transactionId", session->transaction_id);
	smdp_answer_add_base64 (builder, "boundProfilePackage", g_bytes_get_data (bpp, NULL), g_bytes_get_size (bpp));
	*answer = smdp_answer_finish (builder);
	return SOUP_STATUS_OK;
}

/* ---- handleNotification (SGP.22 §5.6.4) ------------------------------------------------------- */

/* NotificationMetadata ::= [47] { seqNumber [0], profileManagementOperation [1],
 *   notificationAddress UTF8String, iccid OPTIONAL } */
static gboolean
parse_notification_metadata (const EsimTlv *meta, EsimTestSmdpNotification *out)
{
	EsimTlv c[4];
	guint32 events = 0;
	guint n = children_exact (meta, c, 4) ? 4 : children_exact (meta, c, 3) ? 3 : 0;

	if (n == 0 || meta->tag != ESIM_TAG_NOTIFICATION_METADATA || c[0].tag != ESIM_TAG_NOTIF_SEQ_NUMBER ||
	    !esim_tlv_get_uint (&c[0], &out->seq_number, NULL) || c[1].tag != ESIM_TAG_NOTIF_OPERATION ||
	    !esim_tlv_get_named_bits (&c[1], 4, &events, NULL) || c[2].tag != ESIM_TAG_NOTIF_ADDRESS ||
	    (out->address = esim_tlv_dup_utf8 (&c[2], NULL)) == NULL)
		return FALSE;
	out->events = events;
	if (n == 4) {
		if (c[3].tag != ESIM_TAG_ICCID ||
		    (out->iccid = esim_iccid_from_bcd (c[3].value, c[3].len, NULL)) == NULL)
			return FALSE;
	}
	return TRUE;
}

/* ProfileInstallationResult: BF37 { BF27 { 80 tid, BF2F, 06 smdpOid, A2 { A0 { 4F, 04 } |
 *   A1 { 80, 81, 82 OPT } } }, 5F37 } */
static gboolean
installation_result (EsimTestSmdp *self, const EsimTlv *top, EsimTestSmdpNotification *record)
{
	EsimTlv parts[2], data[4], final, result, field;
	SmdpSession *session;

	if (!children_exact (top, parts, 2) || parts[0].tag != ESIM_TAG_PROFILE_INSTALLATION_RESULT_DATA ||
	    parts[1].tag != ESIM_TAG_SIGNATURE || !children_exact (&parts[0], data, 4) ||
	    data[0].tag != ESIM_TAG_TRANSACTION_ID || data[0].len == 0 || data[0].len > 16 ||
	    !parse_notification_metadata (&data[1], record) || data[2].tag != ESIM_TAG_OID ||
	    data[3].tag != ESIM_TAG_PIR_FINAL_RESULT || !children_exact (&data[3], &final, 1))
		return FALSE;
	record->installation_result = TRUE;
	record->transaction_id = esim_hex_encode (data[0].value, data[0].len);
	record->bpp_command_id = -1;
	if (final.tag == ESIM_TAG_PIR_SUCCESS_RESULT) {
		record->success = TRUE;
	} else if (final.tag == ESIM_TAG_PIR_ERROR_RESULT) {
		guint64 value = 0;

		if (!esim_tlv_parse (final.value, final.len, &result, NULL, NULL) ||
		    result.tag != ESIM_TAG_PIR_BPP_COMMAND_ID || !esim_tlv_get_uint (&result, &value, NULL))
			return FALSE;
		record->bpp_command_id = (gint) MIN (value, G_MAXINT);
		if (!esim_tlv_find (&final, ESIM_TAG_PIR_ERROR_REASON, &field, NULL) ||
		    !esim_tlv_get_uint (&field, &value, NULL))
			return FALSE;
		record->error_reason = (gint) MIN (value, G_MAXINT);
	} else {
		return FALSE;
	}
	/* verified against the eUICC certificate of its session; a late one is still kept */
	session = g_hash_table_lookup (self->sessions, record->transaction_id);
	if (session != NULL && session->euicc_cert != NULL) {
		record->verified = esim_cert_verify_signature (session->euicc_cert, parts[0].raw, parts[0].raw_len,
		                                               parts[1].value, parts[1].len, NULL);
		if (record->verified && session->order != NULL)
			session->order->state = record->success ? ESIM_TEST_SMDP_ORDER_INSTALLED :
			                        ESIM_TEST_SMDP_ORDER_RELEASED;
		/* the result ends the session (pySim osmo-smdpp deletes it) */
		g_hash_table_remove (self->sessions, record->transaction_id);
	}
	return TRUE;
}

/* OtherSignedNotification ::= SEQUENCE { tbsOtherNotification BF2F, euiccNotificationSignature
 *   5F37, euiccCertificate, eumCertificate }: verified with its own chain. */
static gboolean
other_notification (EsimTestSmdp *self, const EsimTlv *top, EsimTestSmdpNotification *record)
{
	g_autoptr(EsimCert) euicc = NULL;
	g_autoptr(EsimCert) eum = NULL;
	EsimTlv c[4];

	if (!children_exact (top, c, 4) || !parse_notification_metadata (&c[0], record) ||
	    c[1].tag != ESIM_TAG_SIGNATURE ||
	    (euicc = esim_cert_new_from_der (c[2].raw, c[2].raw_len, NULL)) == NULL ||
	    (eum = esim_cert_new_from_der (c[3].raw, c[3].raw_len, NULL)) == NULL)
		return FALSE;
	record->bpp_command_id = -1;
	record->verified = esim_cert_verify_chain (euicc, ESIM_CERT_ROLE_EUICC, eum, self->cis, NULL,
	                                           ESIM_CERT_TIME_IGNORE, NULL, NULL) &&
	                   esim_cert_verify_signature (euicc, c[0].raw, c[0].raw_len, c[1].value, c[1].len, NULL);
	return TRUE;
}

guint
smdp_handle_notification (EsimTestSmdp *self, JsonObject *request, gchar **answer)
{
	g_autoptr(GBytes) raw = member_base64 (request, "pendingNotification");
	EsimTestSmdpNotification *record;
	EsimTlv top;
	gboolean ok;

	if (raw == NULL || !esim_tlv_parse_exact (g_bytes_get_data (raw, NULL), g_bytes_get_size (raw), &top, NULL))
		return bad_request ("handleNotification");
	record = g_new0 (EsimTestSmdpNotification, 1);
	record->raw = g_bytes_ref (raw);
	if (top.tag == ESIM_TAG_PROFILE_INSTALLATION_RESULT)
		ok = installation_result (self, &top, record);
	else
		ok = top.tag == ESIM_TAG_SEQUENCE && other_notification (self, &top, record);
	if (!ok) {
		g_clear_pointer (&record->raw, g_bytes_unref);
		g_free (record->transaction_id);
		g_free (record->address);
		g_free (record->iccid);
		g_free (record);
		return bad_request ("handleNotification");
	}
	g_message ("handleNotification: %s, seqNumber %" G_GUINT64_FORMAT "%s",
	           record->installation_result ? (record->success ? "profile installed" : "install failed") :
	           "profile event", record->seq_number, record->verified ? "" : ", signature NOT verified");
	g_ptr_array_add (self->notifications, record);
	/* SGP.22 §6.5.2.4: no answer body, HTTP 204 */
	return SOUP_STATUS_NO_CONTENT;
}

/* ---- cancelSession (SGP.22 §5.6.5) ------------------------------------------------------------ */

/* EuiccCancelSessionSigned ::= SEQUENCE { transactionId [0], smdpOid [1], reason [2] } */
static const gchar *
check_cancel (EsimTestSmdp *self, SmdpSession *session, const EsimTlv *arm, EsimTestSmdpCancelled *record)
{
	g_autofree gchar *oid = NULL;
	EsimTlv c[2], s[3];
	guint64 reason = 0;

	if (!children_exact (arm, c, 2) || c[0].tag != ESIM_TAG_SEQUENCE || c[1].tag != ESIM_TAG_SIGNATURE ||
	    !children_exact (&c[0], s, 3) || s[0].tag != ESIM_TAG_CANCEL_TRANSACTION_ID ||
	    s[1].tag != ESIM_TAG_CANCEL_SIGNED_SMDP_OID || s[2].tag != ESIM_TAG_CANCEL_SIGNED_REASON ||
	    !esim_tlv_get_uint (&s[2], &reason, NULL) || reason > 127)
		return "malformed";
	record->reason = (gint) reason;
	record->verified = session->euicc_cert != NULL &&
	                   esim_cert_verify_signature (session->euicc_cert, c[0].raw, c[0].raw_len, c[1].value,
	                                               c[1].len, NULL);
	if (session->euicc_cert != NULL && !record->verified)
		return "8.1";
	if (s[0].len != sizeof (session->tid) || memcmp (s[0].value, session->tid, s[0].len) != 0)
		return "8.10.1";
	oid = oid_to_string (s[1].value, s[1].len);
	if (g_strcmp0 (oid, self->oid) != 0)
		return "8.8";
	return NULL;
}

guint
smdp_cancel_session (EsimTestSmdp *self, JsonObject *request, gchar **answer)
{
	SmdpSession *session = find_session (self, member_string (request, "transactionId"));
	g_autoptr(GBytes) response = NULL;
	EsimTestSmdpCancelled *record;
	const gchar *problem = NULL;
	EsimTlv top, arm;

	response = member_tlv (request, "cancelSessionResponse", ESIM_TAG_CANCEL_SESSION, &top);
	if (response == NULL || !children_exact (&top, &arm, 1))
		return bad_request ("cancelSession");
	if (session == NULL)
		return failed (answer, "8.10.1", "3.9", "The RSP session identified by the transactionId is unknown");
	record = g_new0 (EsimTestSmdpCancelled, 1);
	record->transaction_id = g_strdup (session->transaction_id);
	record->reason = -1;
	/* the eUICC's error alternative (no session on the card): the server's ends anyway */
	if (arm.tag == ESIM_TAG_CANCEL_SESSION_OK)
		problem = check_cancel (self, session, &arm, record);
	else if (arm.tag != ESIM_TAG_CANCEL_SESSION_ERROR)
		problem = "malformed";
	if (g_strcmp0 (problem, "malformed") == 0) {
		g_free (record->transaction_id);
		g_free (record);
		return bad_request ("cancelSession");
	}
	if (problem != NULL) {
		g_free (record->transaction_id);
		g_free (record);
		if (g_str_equal (problem, "8.8"))
			return failed (answer, "8.8", "3.1", "The provided SM-DP+ OID is invalid");
		if (g_str_equal (problem, "8.10.1"))
			return failed (answer, "8.10.1", "3.9", "The signed transactionId is not this session's");
		return failed (answer, "8.1", "6.1", "eUICC signature is invalid");
	}
	g_message ("cancelSession: session %s cancelled, reason %d", record->transaction_id, record->reason);
	g_ptr_array_add (self->cancelled, record);
	/* the order may be downloaded again */
	if (session->order != NULL && session->order->state == ESIM_TEST_SMDP_ORDER_DOWNLOADED)
		session->order->state = ESIM_TEST_SMDP_ORDER_RELEASED;
	g_hash_table_remove (self->sessions, session->transaction_id);
	{
		g_autoptr(JsonBuilder) builder = smdp_answer_begin ();
		*answer = smdp_answer_finish (builder);
	}
	return SOUP_STATUS_OK;
}
