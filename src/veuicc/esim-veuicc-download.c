/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The card side of an RSP session (SGP.22 v2.5 §3.1.3 "Profile Download and
 * Installation", the ES10b functions of §5.7): GetEuiccChallenge,
 * AuthenticateServer, PrepareDownload and CancelSession.  The bound profile
 * package that follows is esim-veuicc-bpp.c.
 *
 * Every layout below is RSPDefinitions (shared/asn1/RSPDefinitions-SGP22-v2.5),
 * an AUTOMATIC TAGS module: a SEQUENCE whose components carry no tag gets
 * [0], [1]…; one where any component is tagged keeps the universal tags of the
 * others (EuiccSigned1's ctxParams1, SmdpSigned2's ccRequiredFlag…).  What a
 * card signs and what it verifies, with the byte strings the signatures cover:
 *
 *   serverSignature1  over serverSigned1 (the 30 TLV as received)        §5.7.13
 *   euiccSignature1   over euiccSigned1                                  §5.7.13
 *   smdpSignature2    over smdpSigned2 ‖ euiccSignature1 (5F37 40 …)     §5.7.5
 *   euiccSignature2   over euiccSigned2 ‖ smdpSignature2 (5F37 40 …)     §5.7.5
 *   euiccCancelSessionSignature over euiccCancelSessionSigned            §5.7.14
 * (osmocom pySim osmo-smdpp.py checks and makes the same on the server side:
 * authenticateClient verifies euiccSignature1 over euiccSigned1, signs
 * smdpSigned2 + b'\x5f\x37\x40' + euiccSignature1; getBoundProfilePackage
 * verifies euiccSignature2 over euiccSigned2 + smdpSignature2_do.)
 *
 * The session lives in volatile memory, one per card, as on a real eUICC: a
 * new GetEuiccChallenge starts a new one, a card reset ends it.  A refusal is
 * the function's error answer with the SGP.22 code that names it; a request
 * too malformed to carry a transaction ID answers status word 6A80.
 */

#define G_LOG_DOMAIN "esim-veuicc"

#include <string.h>

#include "esim-crypto.h"
#include "esim-ecdsa.h"
#include "esim-util.h"
#include "esim-veuicc-private.h"

typedef enum {
	SESSION_NONE,           /* no challenge to answer */
	SESSION_CHALLENGED,     /* GetEuiccChallenge answered */
	SESSION_AUTHENTICATED,  /* AuthenticateServer answered with euiccSigned1 */
	SESSION_PREPARED,       /* PrepareDownload answered with euiccSigned2 */
} SessionState;

struct _VeuiccDownload {
	SessionState state;
	guint8       challenge[ESIM_EUICC_CHALLENGE_LENGTH];
	GBytes      *transaction_id;
	gchar       *server_address;
	gchar       *smdp_oid_auth;   /* DPauth registeredID: CancelSession's smdpOid */
	EsimCert    *ci;              /* the CI the DPauth chain ended at */
	guint8       euicc_signature1[ESIM_SIGNATURE_LENGTH];
	EsimCert    *dp_pb;
	gchar       *smdp_oid_pb;     /* DPpb registeredID: the installation result's smdpOid */
	/* otSK/otPK.EUICC.ECKA.  Kept across sessions until an install succeeds:
	 * an SM-DP+ that retries may send the package it already bound to it
	 * (bppEuiccOtpk, SGP.22 §5.7.5 PrepareDownload). */
	EsimEckaKey *ot_key;
};

/* AuthenticateErrorCode and DownloadErrorCode (RSPDefinitions) */
enum {
	CODE_INVALID_CERTIFICATE = 1,
	CODE_INVALID_SIGNATURE = 2,
	CODE_UNSUPPORTED_CURVE = 3,
	CODE_NO_SESSION_CONTEXT = 4,
	CODE_INVALID_OID = 5,              /* AuthenticateServer */
	CODE_INVALID_TRANSACTION_ID = 5,   /* PrepareDownload, CancelSession */
	CODE_CHALLENGE_MISMATCH = 6,
	CODE_CI_PK_UNKNOWN = 7,
	CODE_UNDEFINED = 127,
};

static void
session_clear (VeuiccDownload *download)
{
	download->state = SESSION_NONE;
	memset (download->challenge, 0, sizeof (download->challenge));
	memset (download->euicc_signature1, 0, sizeof (download->euicc_signature1));
	g_clear_pointer (&download->transaction_id, g_bytes_unref);
	g_clear_pointer (&download->server_address, g_free);
	g_clear_pointer (&download->smdp_oid_auth, g_free);
	g_clear_pointer (&download->ci, esim_cert_unref);
	g_clear_pointer (&download->dp_pb, esim_cert_unref);
	g_clear_pointer (&download->smdp_oid_pb, g_free);
}

void
veuicc_download_free (VeuiccDownload *download)
{
	if (download == NULL)
		return;
	session_clear (download);
	g_clear_pointer (&download->ot_key, esim_ecka_key_free);
	g_free (download);
}

static VeuiccDownload *
get_download (EsimVeuicc *self)
{
	if (self->download == NULL)
		self->download = g_new0 (VeuiccDownload, 1);
	return self->download;
}

void
veuicc_download_end_session (EsimVeuicc *self)
{
	veuicc_bpp_abandon (self);
	if (self->download != NULL)
		session_clear (self->download);
}

gboolean
veuicc_download_get_prepared (EsimVeuicc *self, VeuiccPrepared *out)
{
	VeuiccDownload *download = self->download;

	if (download == NULL || download->state != SESSION_PREPARED || download->ot_key == NULL)
		return FALSE;
	out->transaction_id = download->transaction_id;
	out->server_address = download->server_address;
	out->smdp_oid = download->smdp_oid_pb;
	out->dp_pb = download->dp_pb;
	out->ot_key = download->ot_key;
	return TRUE;
}

void
veuicc_download_installed (EsimVeuicc *self)
{
	if (self->download != NULL)
		g_clear_pointer (&self->download->ot_key, esim_ecka_key_free);
}

/* ---- small helpers ---------------------------------------------------------------------- */

static GBytes *
fail_sw (guint16 code, guint16 *sw)
{
	*sw = code;
	return NULL;
}

static GBytes *
ok_response (GBytes *response, guint16 *sw)
{
	*sw = ESIM_SW_OK;
	return response;
}

/* The children of @parent, at most @max; FALSE if malformed or more. */
static gboolean
children_of (const EsimTlv *parent, EsimTlv *out, guint max, guint *n_out)
{
	g_autoptr(GError) error = NULL;
	EsimTlvIter iter;
	EsimTlv child;
	guint n = 0;

	if (!parent->constructed)
		return FALSE;
	esim_tlv_iter_init (&iter, parent);
	while (esim_tlv_iter_next (&iter, &child, &error)) {
		if (n == max)
			return FALSE;
		out[n++] = child;
	}
	*n_out = n;
	return error == NULL;
}

/* TRUE for a UTF8String of 1 to 255 bytes without NUL (an FQDN, a matching ID). */
static gboolean
utf8_ok (const EsimTlv *tlv, gsize min, gsize max)
{
	return tlv->len >= min && tlv->len <= max &&
	       memchr (tlv->value, '\0', tlv->len) == NULL &&
	       g_utf8_validate ((const gchar *) tlv->value, (gssize) tlv->len, NULL);
}

GBytes *
veuicc_oid_encode (const gchar *dotted)
{
	g_auto(GStrv) arcs = NULL;
	GByteArray *out;
	guint64 first = 0;

	if (dotted == NULL)
		return NULL;
	arcs = g_strsplit (dotted, ".", -1);
	if (g_strv_length (arcs) < 2 || !g_ascii_string_to_unsigned (arcs[0], 10, 0, 2, &first, NULL))
		return NULL;
	out = g_byte_array_new ();
	for (guint i = 1; arcs[i] != NULL; i++) {
		guint64 arc = 0;
		guint8 tmp[10];
		guint n = 0;

		if (!g_ascii_string_to_unsigned (arcs[i], 10, 0, G_MAXUINT32, &arc, NULL) ||
		    (i == 1 && first < 2 && arc >= 40)) {
			g_byte_array_unref (out);
			return NULL;
		}
		/* X.690 §8.19: the first two arcs share one subidentifier, base 128 */
		if (i == 1)
			arc += 40 * first;
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

/* TAG { A1 { 80 transactionId, 02 code } }: AuthenticateResponseError and
 * PrepareDownloadResponseError keep transactionId [0] tagged, so their code is
 * a universal INTEGER. */
static GBytes *
error_response (EsimTag tag, const guint8 *transaction_id, gsize len, guint code, guint16 *sw)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	esim_der_writer_begin (writer, tag);
	esim_der_writer_begin (writer, ESIM_TAG_RESPONSE_ERROR);
	esim_der_writer_put (writer, ESIM_TAG_TRANSACTION_ID, transaction_id, len);
	esim_der_writer_put_uint (writer, ESIM_TAG_ERROR_CODE, code);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return ok_response (esim_der_writer_finish (writer), sw);
}

/* The certificate check's failure as AuthenticateErrorCode / DownloadErrorCode. */
static guint
certificate_code (const GError *error, gboolean authenticate)
{
	if (g_error_matches (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_UNSUPPORTED))
		return CODE_UNSUPPORTED_CURVE;
	/* a certificate without its role's policy OID (id-rspRole-dp-auth…) */
	if (authenticate && g_error_matches (error, ESIM_CRYPTO_ERROR, ESIM_CRYPTO_ERROR_WRONG_ROLE))
		return CODE_INVALID_OID;
	return CODE_INVALID_CERTIFICATE;
}

/* ---- GetEuiccChallenge (SGP.22 §5.7.7) ---------------------------------------------------- */

GBytes *
veuicc_download_get_challenge (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	VeuiccDownload *download;

	if (request->len != 0)
		return fail_sw (ESIM_SW_WRONG_DATA, sw);
	/* a new challenge opens a new session: whatever ran before is over */
	veuicc_download_end_session (self);
	download = get_download (self);
	veuicc_crypto_random (download->challenge, sizeof (download->challenge));
	download->state = SESSION_CHALLENGED;
	esim_der_writer_begin (writer, ESIM_TAG_GET_EUICC_CHALLENGE);
	esim_der_writer_put (writer, ESIM_TAG_EUICC_CHALLENGE, download->challenge,
	                     sizeof (download->challenge));
	esim_der_writer_end (writer);
	return ok_response (esim_der_writer_finish (writer), sw);
}

/* ---- AuthenticateServer (SGP.22 §5.7.13) -------------------------------------------------- */

/* AuthenticateServerRequest ::= [56] SEQUENCE { serverSigned1 30, serverSignature1 5F37,
 *   euiccCiPKIdToBeUsed 04, serverCertificate 30, ctxParams1 A0 }
 * ServerSigned1 ::= SEQUENCE { transactionId [0], euiccChallenge [1], serverAddress [3],
 *   serverChallenge [4] } */
typedef struct {
	EsimTlv signed1;
	EsimTlv signature;
	EsimTlv ci_pkid;
	EsimTlv certificate;
	EsimTlv ctx_params;
	EsimTlv transaction_id;
	EsimTlv euicc_challenge;
	EsimTlv server_address;
	EsimTlv server_challenge;
} AuthenticateServerRequest;

static gboolean
parse_server_signed1 (const EsimTlv *signed1, AuthenticateServerRequest *req)
{
	EsimTlv c[4];
	guint n = 0;

	if (!children_of (signed1, c, G_N_ELEMENTS (c), &n) || n != 4 ||
	    c[0].tag != ESIM_TAG_TRANSACTION_ID || c[0].len < 1 ||
	    c[0].len > ESIM_TRANSACTION_ID_MAX_LENGTH ||
	    c[1].tag != ESIM_TAG_SIGNED1_EUICC_CHALLENGE || c[1].len != ESIM_EUICC_CHALLENGE_LENGTH ||
	    c[2].tag != ESIM_TAG_SIGNED1_SERVER_ADDRESS ||
	    c[3].tag != ESIM_TAG_SIGNED1_SERVER_CHALLENGE || c[3].len != ESIM_EUICC_CHALLENGE_LENGTH)
		return FALSE;
	req->transaction_id = c[0];
	req->euicc_challenge = c[1];
	req->server_address = c[2];
	req->server_challenge = c[3];
	return TRUE;
}

/* CtxParamsForCommonAuthentication ::= SEQUENCE { matchingId UTF8String OPTIONAL,
 *   deviceInfo DeviceInfo } (automatic: 80, A1); DeviceInfo ::= SEQUENCE { tac Octet4,
 *   deviceCapabilities DeviceCapabilities, imei Octet8 OPTIONAL } (80, A1, 82). */
static gboolean
ctx_params_valid (const EsimTlv *ctx)
{
	EsimTlv c[2], info[3];
	guint n = 0, n_info = 0, idx = 0;

	if (!children_of (ctx, c, G_N_ELEMENTS (c), &n) || n == 0)
		return FALSE;
	if (c[0].tag == ESIM_TAG_CTX_MATCHING_ID) {
		if (!utf8_ok (&c[0], 0, 255))
			return FALSE;
		idx++;
	}
	if (idx + 1 != n || c[idx].tag != ESIM_TAG_CTX_DEVICE_INFO ||
	    !children_of (&c[idx], info, G_N_ELEMENTS (info), &n_info) || n_info < 2)
		return FALSE;
	return info[0].tag == ESIM_TAG_DEVICE_TAC && info[0].len == ESIM_TAC_LENGTH &&
	       info[1].tag == ESIM_TAG_DEVICE_CAPABILITIES && info[1].constructed &&
	       (n_info == 2 || (info[2].tag == ESIM_TAG_DEVICE_IMEI && info[2].len == ESIM_IMEI_LENGTH));
}

/* FALSE when the request is not the structure; the transaction ID is set as soon as
 * it could be read. */
static gboolean
parse_authenticate_server (const EsimTlv *request, AuthenticateServerRequest *req)
{
	EsimTlv c[5];
	guint n = 0;

	if (!children_of (request, c, G_N_ELEMENTS (c), &n) || n < 1 ||
	    c[0].tag != ESIM_TAG_SEQUENCE || !parse_server_signed1 (&c[0], req))
		return FALSE;
	if (n != 5 ||
	    c[1].tag != ESIM_TAG_SIGNATURE || c[1].len != ESIM_SIGNATURE_LENGTH ||
	    c[2].tag != ESIM_TAG_SUBJECT_KEY_ID || c[2].len < 1 || c[2].len > 64 ||
	    c[3].tag != ESIM_TAG_SEQUENCE ||
	    c[4].tag != ESIM_TAG_CTX_PARAMS1 || !ctx_params_valid (&c[4]))
		return FALSE;
	req->signed1 = c[0];
	req->signature = c[1];
	req->ci_pkid = c[2];
	req->certificate = c[3];
	req->ctx_params = c[4];
	return TRUE;
}

/* The DPauth certificate up to the CI named euiccCiPKIdToBeUsed: 0 or the error code. */
static guint
verify_server_certificate (EsimVeuicc *self, const AuthenticateServerRequest *req,
                           EsimCert **cert_out, EsimCert **ci_out)
{
	g_autoptr(GBytes) pkid = g_bytes_new (req->ci_pkid.value, req->ci_pkid.len);
	g_autoptr(EsimCert) cert = NULL;
	g_autoptr(GError) error = NULL;

	if (!veuicc_crypto_has_ci_pkid (self->crypto, req->ci_pkid.value, req->ci_pkid.len)) {
		g_message ("AuthenticateServer: refused, the CI it names is not one this card trusts");
		return CODE_CI_PK_UNKNOWN;
	}
	cert = esim_cert_new_from_der (req->certificate.raw, req->certificate.raw_len, &error);
	/* a card has no trusted clock: validity is the SM-DP+'s and the IPA's to check */
	if (cert == NULL ||
	    !esim_cert_verify_chain (cert, ESIM_CERT_ROLE_DP_AUTH, NULL, veuicc_crypto_get_cis (self->crypto),
	                             pkid, ESIM_CERT_TIME_IGNORE, ci_out, &error)) {
		g_message ("AuthenticateServer: refused, serverCertificate: %s", error->message);
		return certificate_code (error, TRUE);
	}
	*cert_out = g_steal_pointer (&cert);
	return 0;
}

/* EuiccSigned1 ::= SEQUENCE { transactionId [0], serverAddress [3], serverChallenge [4],
 *   euiccInfo2 [34], ctxParams1 CtxParams1 } -- 30 { 80, 83, 84, BF22, A0 } */
static GBytes *
build_euicc_signed1 (EsimVeuicc *self, const AuthenticateServerRequest *req)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) info2 = veuicc_es10_euicc_info2 (self);

	esim_der_writer_begin (writer, ESIM_TAG_SEQUENCE);
	esim_der_writer_put_raw (writer, req->transaction_id.raw, req->transaction_id.raw_len);
	esim_der_writer_put_raw (writer, req->server_address.raw, req->server_address.raw_len);
	esim_der_writer_put_raw (writer, req->server_challenge.raw, req->server_challenge.raw_len);
	esim_der_writer_put_raw (writer, g_bytes_get_data (info2, NULL), g_bytes_get_size (info2));
	/* the ctxParams1 the LPA gave, as it gave it: the SM-DP+ reads its matching ID there */
	esim_der_writer_put_raw (writer, req->ctx_params.raw, req->ctx_params.raw_len);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

/* AuthenticateResponseOk [0] { euiccSigned1, euiccSignature1, euiccCertificate, eumCertificate } */
static GBytes *
authenticate_ok (EsimVeuicc *self, GBytes *signed1, const guint8 signature[ESIM_SIGNATURE_LENGTH])
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) euicc_cert = veuicc_crypto_get_euicc_certificate (self->crypto);
	g_autoptr(GBytes) eum_cert = veuicc_crypto_get_eum_certificate (self->crypto);

	esim_der_writer_begin (writer, ESIM_TAG_AUTHENTICATE_SERVER);
	esim_der_writer_begin (writer, ESIM_TAG_RESPONSE_OK);
	esim_der_writer_put_raw (writer, g_bytes_get_data (signed1, NULL), g_bytes_get_size (signed1));
	esim_der_writer_put (writer, ESIM_TAG_SIGNATURE, signature, ESIM_SIGNATURE_LENGTH);
	esim_der_writer_put_raw (writer, g_bytes_get_data (euicc_cert, NULL), g_bytes_get_size (euicc_cert));
	esim_der_writer_put_raw (writer, g_bytes_get_data (eum_cert, NULL), g_bytes_get_size (eum_cert));
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

/* The checks of §5.7.13 in its order: certificate (CI known, chain, role), signature,
 * challenge.  0 or the error code. */
static guint
authenticate_checks (EsimVeuicc *self, const AuthenticateServerRequest *req, EsimCert **cert_out,
                     EsimCert **ci_out)
{
	VeuiccDownload *download = self->download;
	g_autoptr(GError) error = NULL;
	guint code = verify_server_certificate (self, req, cert_out, ci_out);

	if (code != 0)
		return code;
	if (!esim_cert_verify_signature (*cert_out, req->signed1.raw, req->signed1.raw_len,
	                                 req->signature.value, req->signature.len, &error)) {
		g_message ("AuthenticateServer: refused, serverSignature1: %s", error->message);
		return CODE_INVALID_SIGNATURE;
	}
	if (download == NULL || download->state != SESSION_CHALLENGED) {
		g_message ("AuthenticateServer: refused, no challenge was issued for this session");
		return CODE_NO_SESSION_CONTEXT;
	}
	if (memcmp (req->euicc_challenge.value, download->challenge, sizeof (download->challenge)) != 0) {
		g_message ("AuthenticateServer: refused, euiccChallenge is not the one this card issued");
		return CODE_CHALLENGE_MISMATCH;
	}
	if (!utf8_ok (&req->server_address, 1, 255)) {
		g_message ("AuthenticateServer: refused, serverAddress is not an address");
		return CODE_UNDEFINED;
	}
	return 0;
}

GBytes *
veuicc_download_authenticate_server (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	AuthenticateServerRequest req = { { 0 } };
	g_autoptr(EsimCert) cert = NULL;
	g_autoptr(EsimCert) ci = NULL;
	g_autoptr(GBytes) signed1 = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *oid = NULL;
	guint8 signature[ESIM_SIGNATURE_LENGTH];
	VeuiccDownload *download;
	guint code;

	if (!parse_authenticate_server (request, &req)) {
		veuicc_download_end_session (self);
		if (req.transaction_id.len == 0)
			return fail_sw (ESIM_SW_WRONG_DATA, sw);
		g_message ("AuthenticateServer: refused, malformed request");
		return error_response (ESIM_TAG_AUTHENTICATE_SERVER, req.transaction_id.value,
		                       req.transaction_id.len, CODE_UNDEFINED, sw);
	}
	code = authenticate_checks (self, &req, &cert, &ci);
	if (code == 0) {
		/* the SM-DP+ OID every later answer names (CancelSession) */
		oid = esim_cert_dup_registered_id (cert);
		if (oid == NULL) {
			g_message ("AuthenticateServer: refused, serverCertificate names no SM-DP+ OID");
			code = CODE_INVALID_OID;
		}
	}
	if (code != 0) {
		/* the challenge was spent: a new session needs a new one */
		veuicc_download_end_session (self);
		return error_response (ESIM_TAG_AUTHENTICATE_SERVER, req.transaction_id.value,
		                       req.transaction_id.len, code, sw);
	}
	signed1 = build_euicc_signed1 (self, &req);
	if (!veuicc_crypto_sign (self->crypto, g_bytes_get_data (signed1, NULL), g_bytes_get_size (signed1),
	                         signature, &error)) {
		g_warning ("AuthenticateServer: cannot sign: %s", error->message);
		veuicc_download_end_session (self);
		return fail_sw (ESIM_SW_TECHNICAL_PROBLEM, sw);
	}
	download = self->download;
	download->state = SESSION_AUTHENTICATED;
	memset (download->challenge, 0, sizeof (download->challenge));
	download->transaction_id = g_bytes_new (req.transaction_id.value, req.transaction_id.len);
	download->server_address = g_strndup ((const gchar *) req.server_address.value,
	                                      req.server_address.len);
	download->smdp_oid_auth = g_steal_pointer (&oid);
	download->ci = g_steal_pointer (&ci);
	memcpy (download->euicc_signature1, signature, sizeof (signature));
	g_debug ("AuthenticateServer: session with the SM-DP+ at %s", download->server_address);
	return ok_response (authenticate_ok (self, signed1, signature), sw);
}

/* ---- PrepareDownload (SGP.22 §5.7.5) ------------------------------------------------------ */

/* PrepareDownloadRequest ::= [33] SEQUENCE { smdpSigned2 30, smdpSignature2 5F37,
 *   hashCc 04 OPTIONAL, smdpCertificate 30 }
 * SmdpSigned2 ::= SEQUENCE { transactionId [0], ccRequiredFlag BOOLEAN,
 *   bppEuiccOtpk [APPLICATION 73] OPTIONAL } */
typedef struct {
	EsimTlv  signed2;
	EsimTlv  signature;
	EsimTlv  hash_cc;          /* len 0 when absent */
	EsimTlv  certificate;
	EsimTlv  transaction_id;
	gboolean cc_required;
	EsimTlv  bpp_euicc_otpk;   /* len 0 when absent */
} PrepareDownloadRequest;

static gboolean
parse_smdp_signed2 (const EsimTlv *signed2, PrepareDownloadRequest *req)
{
	EsimTlv c[3];
	guint n = 0;

	if (!children_of (signed2, c, G_N_ELEMENTS (c), &n) || n < 2 ||
	    c[0].tag != ESIM_TAG_TRANSACTION_ID || c[0].len < 1 ||
	    c[0].len > ESIM_TRANSACTION_ID_MAX_LENGTH)
		return FALSE;
	req->transaction_id = c[0];
	if (c[1].tag != ESIM_TAG_CC_REQUIRED_FLAG || !esim_tlv_get_bool (&c[1], &req->cc_required, NULL))
		return FALSE;
	if (n == 3) {
		if (c[2].tag != ESIM_TAG_OTPK || !esim_p256_point_check (c[2].value, c[2].len, NULL))
			return FALSE;
		req->bpp_euicc_otpk = c[2];
	}
	return TRUE;
}

static gboolean
parse_prepare_download (const EsimTlv *request, PrepareDownloadRequest *req)
{
	EsimTlv c[4];
	guint n = 0, idx = 2;

	if (!children_of (request, c, G_N_ELEMENTS (c), &n) || n < 1 ||
	    c[0].tag != ESIM_TAG_SEQUENCE || !parse_smdp_signed2 (&c[0], req))
		return FALSE;
	if (n < 3 || c[1].tag != ESIM_TAG_SIGNATURE || c[1].len != ESIM_SIGNATURE_LENGTH)
		return FALSE;
	req->signed2 = c[0];
	req->signature = c[1];
	if (c[2].tag == ESIM_TAG_HASH_CC) {
		if (c[2].len != ESIM_HASH_CC_LENGTH)
			return FALSE;
		req->hash_cc = c[2];
		idx++;
	}
	if (idx + 1 != n || c[idx].tag != ESIM_TAG_SEQUENCE)
		return FALSE;
	req->certificate = c[idx];
	return TRUE;
}

/* What smdpSignature2 and euiccSignature2 cover: signed ‖ 5F37 40 <other signature>. */
static GBytes *
signed_with_signature (const guint8 *signed_raw, gsize signed_len, const guint8 *signature)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	esim_der_writer_put_raw (writer, signed_raw, signed_len);
	esim_der_writer_put (writer, ESIM_TAG_SIGNATURE, signature, ESIM_SIGNATURE_LENGTH);
	return esim_der_writer_finish (writer);
}

/* §5.7.5 in its order: session, certificate, signature, transaction ID, confirmation code. */
static guint
prepare_checks (EsimVeuicc *self, const PrepareDownloadRequest *req, EsimCert **cert_out)
{
	VeuiccDownload *download = self->download;
	g_autoptr(GPtrArray) cis = NULL;
	g_autoptr(EsimCert) cert = NULL;
	g_autoptr(GBytes) tbs = NULL;
	g_autoptr(GError) error = NULL;

	if (download == NULL || download->state != SESSION_AUTHENTICATED) {
		g_message ("PrepareDownload: refused, no authenticated session");
		return CODE_NO_SESSION_CONTEXT;
	}
	/* DPpb must chain to the CI that DPauth did */
	cis = g_ptr_array_new ();
	g_ptr_array_add (cis, download->ci);
	cert = esim_cert_new_from_der (req->certificate.raw, req->certificate.raw_len, &error);
	if (cert == NULL ||
	    !esim_cert_verify_chain (cert, ESIM_CERT_ROLE_DP_PB, NULL, cis, NULL, ESIM_CERT_TIME_IGNORE,
	                             NULL, &error)) {
		g_message ("PrepareDownload: refused, smdpCertificate: %s", error->message);
		return certificate_code (error, FALSE);
	}
	tbs = signed_with_signature (req->signed2.raw, req->signed2.raw_len, download->euicc_signature1);
	if (!esim_cert_verify_signature (cert, g_bytes_get_data (tbs, NULL), g_bytes_get_size (tbs),
	                                 req->signature.value, req->signature.len, &error)) {
		g_message ("PrepareDownload: refused, smdpSignature2: %s", error->message);
		return CODE_INVALID_SIGNATURE;
	}
	if (req->transaction_id.len != g_bytes_get_size (download->transaction_id) ||
	    memcmp (req->transaction_id.value, g_bytes_get_data (download->transaction_id, NULL),
	            req->transaction_id.len) != 0) {
		g_message ("PrepareDownload: refused, transaction ID is not this session's");
		return CODE_INVALID_TRANSACTION_ID;
	}
	/* the SM-DP+ wants a confirmation code the LPA did not give: no code fits */
	if (req->cc_required && req->hash_cc.len == 0) {
		g_message ("PrepareDownload: refused, a confirmation code is required and none was given");
		return CODE_UNDEFINED;
	}
	*cert_out = g_steal_pointer (&cert);
	return 0;
}

/* The one-time key: the retained one when the package was bound to it already. */
static gboolean
choose_ot_key (VeuiccDownload *download, const PrepareDownloadRequest *req, GError **error)
{
	if (req->bpp_euicc_otpk.len > 0 && download->ot_key != NULL &&
	    memcmp (req->bpp_euicc_otpk.value, esim_ecka_key_get_public (download->ot_key),
	            ESIM_P256_POINT_LEN) == 0) {
		g_debug ("PrepareDownload: the package is bound to this card's one-time key already");
		return TRUE;
	}
	g_clear_pointer (&download->ot_key, esim_ecka_key_free);
	download->ot_key = esim_ecka_key_generate (error);
	return download->ot_key != NULL;
}

/* EUICCSigned2 ::= SEQUENCE { transactionId [0], euiccOtpk [APPLICATION 73],
 *   hashCc Octet32 OPTIONAL } -- 30 { 80, 5F49, 04 } */
static GBytes *
build_euicc_signed2 (VeuiccDownload *download, const PrepareDownloadRequest *req)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	esim_der_writer_begin (writer, ESIM_TAG_SEQUENCE);
	esim_der_writer_put_raw (writer, req->transaction_id.raw, req->transaction_id.raw_len);
	esim_der_writer_put (writer, ESIM_TAG_OTPK, esim_ecka_key_get_public (download->ot_key),
	                     ESIM_P256_POINT_LEN);
	if (req->hash_cc.len > 0)
		esim_der_writer_put_raw (writer, req->hash_cc.raw, req->hash_cc.raw_len);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

GBytes *
veuicc_download_prepare_download (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	PrepareDownloadRequest req = { { 0 } };
	g_autoptr(EsimCert) cert = NULL;
	g_autoptr(GBytes) signed2 = NULL;
	g_autoptr(GBytes) tbs = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *oid = NULL;
	guint8 signature[ESIM_SIGNATURE_LENGTH];
	VeuiccDownload *download;
	guint code;

	if (!parse_prepare_download (request, &req)) {
		if (req.transaction_id.len == 0)
			return fail_sw (ESIM_SW_WRONG_DATA, sw);
		g_message ("PrepareDownload: refused, malformed request");
		return error_response (ESIM_TAG_PREPARE_DOWNLOAD, req.transaction_id.value,
		                       req.transaction_id.len, CODE_UNDEFINED, sw);
	}
	code = prepare_checks (self, &req, &cert);
	if (code == 0 && (oid = esim_cert_dup_registered_id (cert)) == NULL) {
		g_message ("PrepareDownload: refused, smdpCertificate names no SM-DP+ OID");
		code = CODE_INVALID_CERTIFICATE;
	}
	/* the session stays: the LPA cancels it (CancelSession needs it) */
	if (code != 0)
		return error_response (ESIM_TAG_PREPARE_DOWNLOAD, req.transaction_id.value,
		                       req.transaction_id.len, code, sw);
	download = self->download;
	if (!choose_ot_key (download, &req, &error)) {
		g_warning ("PrepareDownload: no one-time key: %s", error->message);
		return fail_sw (ESIM_SW_TECHNICAL_PROBLEM, sw);
	}
	signed2 = build_euicc_signed2 (download, &req);
	tbs = signed_with_signature (g_bytes_get_data (signed2, NULL), g_bytes_get_size (signed2),
	                             req.signature.value);
	if (!veuicc_crypto_sign (self->crypto, g_bytes_get_data (tbs, NULL), g_bytes_get_size (tbs),
	                         signature, &error)) {
		g_warning ("PrepareDownload: cannot sign: %s", error->message);
		return fail_sw (ESIM_SW_TECHNICAL_PROBLEM, sw);
	}
	download->state = SESSION_PREPARED;
	download->dp_pb = g_steal_pointer (&cert);
	download->smdp_oid_pb = g_steal_pointer (&oid);
	/* PrepareDownloadResponseOk [0] { euiccSigned2, euiccSignature2 } */
	esim_der_writer_begin (writer, ESIM_TAG_PREPARE_DOWNLOAD);
	esim_der_writer_begin (writer, ESIM_TAG_RESPONSE_OK);
	esim_der_writer_put_raw (writer, g_bytes_get_data (signed2, NULL), g_bytes_get_size (signed2));
	esim_der_writer_put (writer, ESIM_TAG_SIGNATURE, signature, sizeof (signature));
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return ok_response (esim_der_writer_finish (writer), sw);
}

/* ---- CancelSession (SGP.22 §5.7.14) ------------------------------------------------------- */

/* CancelSessionReason values SGP.22 v2.5 defines */
static gboolean
cancel_reason_known (guint64 reason)
{
	return reason <= 5 || reason == 127;
}

/* CancelSessionResponse ::= [65] CHOICE { cancelSessionResponseOk [0], cancelSessionResponseError
 *   [1] INTEGER }: BF41 { 81 code } */
static GBytes *
cancel_error (guint code, guint16 *sw)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	esim_der_writer_begin (writer, ESIM_TAG_CANCEL_SESSION);
	esim_der_writer_put_uint (writer, ESIM_TAG_CANCEL_SESSION_ERROR, code);
	esim_der_writer_end (writer);
	return ok_response (esim_der_writer_finish (writer), sw);
}

/* EuiccCancelSessionSigned ::= SEQUENCE { transactionId, smdpOid, reason } (automatic:
 * 80, 81 with the OID's value, 82); CancelSessionResponseOk ::= SEQUENCE {
 * euiccCancelSessionSigned 30, euiccCancelSessionSignature 5F37 } as [0]. */
static GBytes *
cancel_ok (EsimVeuicc *self, GBytes *oid, guint64 reason, guint16 *sw)
{
	g_autoptr(EsimDerWriter) signed_writer = esim_der_writer_new ();
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) signed_part = NULL;
	g_autoptr(GError) error = NULL;
	guint8 signature[ESIM_SIGNATURE_LENGTH];

	esim_der_writer_begin (signed_writer, ESIM_TAG_SEQUENCE);
	esim_der_writer_put_bytes (signed_writer, ESIM_TAG_CANCEL_TRANSACTION_ID,
	                           self->download->transaction_id);
	esim_der_writer_put_bytes (signed_writer, ESIM_TAG_CANCEL_SIGNED_SMDP_OID, oid);
	esim_der_writer_put_uint (signed_writer, ESIM_TAG_CANCEL_SIGNED_REASON, reason);
	esim_der_writer_end (signed_writer);
	signed_part = esim_der_writer_finish (signed_writer);
	if (!veuicc_crypto_sign (self->crypto, g_bytes_get_data (signed_part, NULL),
	                         g_bytes_get_size (signed_part), signature, &error)) {
		g_warning ("CancelSession: cannot sign: %s", error->message);
		return fail_sw (ESIM_SW_TECHNICAL_PROBLEM, sw);
	}
	esim_der_writer_begin (writer, ESIM_TAG_CANCEL_SESSION);
	esim_der_writer_begin (writer, ESIM_TAG_CANCEL_SESSION_OK);
	esim_der_writer_put_raw (writer, g_bytes_get_data (signed_part, NULL), g_bytes_get_size (signed_part));
	esim_der_writer_put (writer, ESIM_TAG_SIGNATURE, signature, sizeof (signature));
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return ok_response (esim_der_writer_finish (writer), sw);
}

/* CancelSessionRequest ::= [65] SEQUENCE { transactionId, reason } (automatic: 80, 81) */
GBytes *
veuicc_download_cancel_session (EsimVeuicc *self, const EsimTlv *request, guint16 *sw)
{
	VeuiccDownload *download = self->download;
	g_autoptr(GBytes) oid = NULL;
	g_autoptr(GBytes) response = NULL;
	EsimTlv c[2];
	guint64 reason = 0;
	guint n = 0;

	if (!children_of (request, c, G_N_ELEMENTS (c), &n) || n != 2 ||
	    c[0].tag != ESIM_TAG_CANCEL_TRANSACTION_ID || c[0].len < 1 ||
	    c[0].len > ESIM_TRANSACTION_ID_MAX_LENGTH ||
	    c[1].tag != ESIM_TAG_CANCEL_REASON || !esim_tlv_get_uint (&c[1], &reason, NULL) ||
	    !cancel_reason_known (reason)) {
		g_message ("CancelSession: refused, malformed request");
		return cancel_error (CODE_UNDEFINED, sw);
	}
	/* only a session past AuthenticateServer has a transaction to cancel */
	if (download == NULL || download->state < SESSION_AUTHENTICATED ||
	    c[0].len != g_bytes_get_size (download->transaction_id) ||
	    memcmp (c[0].value, g_bytes_get_data (download->transaction_id, NULL), c[0].len) != 0) {
		g_message ("CancelSession: refused, no session with that transaction ID");
		return cancel_error (CODE_INVALID_TRANSACTION_ID, sw);
	}
	oid = veuicc_oid_encode (download->smdp_oid_auth);
	if (oid == NULL)
		return fail_sw (ESIM_SW_TECHNICAL_PROBLEM, sw);
	response = cancel_ok (self, oid, reason, sw);
	if (response == NULL)
		return NULL;
	g_debug ("CancelSession: session ended, reason %" G_GUINT64_FORMAT, reason);
	veuicc_download_end_session (self);
	return g_steal_pointer (&response);
}
