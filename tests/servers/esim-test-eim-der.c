/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The test eIM's DER: the packages and the configuration it builds, and what
 * it reads in the results and notifications an IPA delivers.  Built with the
 * DER writer of src/lib/esim-der.h, shapes from the SGP.32 v1.2 module with
 * the wire forms of shared/reference/sgp32-digest.md §3.3–§3.5 and §4, each
 * checked against a vector of shared/reference/vectors.md in the tests
 * (V4 EuiccPackageRequest, V5/V7 results, V16/V17 configuration, V20).
 * Signed objects from the card are only read, never re-encoded: signatures
 * are checked over the bytes as they came.
 */

#define G_LOG_DOMAIN "esim-test-eim"

#include <string.h>

#include "esim-test-eim-private.h"
#include "esim-util.h"

/* ------------------------------------------------------------------------ */
/* small encoders */

gboolean
eim_iccid_to_bcd (const gchar *iccid, guint8 out[10])
{
	gsize n = 0;

	/* SGP.22 Iccid: BCD with the nibbles of each byte swapped, padded with F
	 * (V4: 8988308650122898710 -> 98 88 03 68 05 21 82 89 17 F0) */
	if (iccid == NULL)
		return FALSE;
	while (g_ascii_isdigit (iccid[n]))
		n++;
	if (iccid[n] == 'F' || iccid[n] == 'f') {
		if (iccid[n + 1] != '\0')
			return FALSE;
	} else if (iccid[n] != '\0') {
		return FALSE;
	}
	if (n < 18 || n > 20)
		return FALSE;
	for (gsize i = 0; i < 10; i++) {
		guint8 lo = 2 * i < n ? iccid[2 * i] - '0' : 0x0F;
		guint8 hi = 2 * i + 1 < n ? iccid[2 * i + 1] - '0' : 0x0F;
		out[i] = (guint8) ((hi << 4) | lo);
	}
	return TRUE;
}

static gchar *
iccid_from_bcd (const guint8 *bcd, gsize len)
{
	GString *str = g_string_new (NULL);

	for (gsize i = 0; i < len; i++) {
		guint8 lo = bcd[i] & 0x0F;
		guint8 hi = bcd[i] >> 4;

		if (lo <= 9)
			g_string_append_c (str, '0' + lo);
		if (hi <= 9)
			g_string_append_c (str, '0' + hi);
	}
	return g_string_free (str, FALSE);
}

GBytes *
eim_eid_to_bytes (const gchar *eid, GError **error)
{
	guint8 out[ESIM_EID_LENGTH];

	/* an EID is 32 decimal digits in plain BCD: its hex form is its digits */
	if (eid == NULL || strlen (eid) != 2 * ESIM_EID_LENGTH) {
		g_set_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_INVALID,
		             "an EID is %u decimal digits", 2 * ESIM_EID_LENGTH);
		return NULL;
	}
	for (gsize i = 0; i < 2 * ESIM_EID_LENGTH; i++) {
		if (!g_ascii_isdigit (eid[i])) {
			g_set_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_INVALID,
			             "an EID is %u decimal digits", 2 * ESIM_EID_LENGTH);
			return NULL;
		}
	}
	for (gsize i = 0; i < ESIM_EID_LENGTH; i++)
		out[i] = (guint8) (((eid[2 * i] - '0') << 4) | (eid[2 * i + 1] - '0'));
	return g_bytes_new (out, sizeof (out));
}

gchar *
eim_eid_from_bytes (GBytes *eid)
{
	return esim_hex_encode_bytes (eid);
}

/* Dotted OID -> DER contents (X.690 §8.19). */
static GBytes *
oid_encode (const gchar *dotted)
{
	g_auto(GStrv) arcs = NULL;
	g_autoptr(GByteArray) out = NULL;
	guint n;
	guint64 first, second;

	if (dotted == NULL)
		return NULL;
	arcs = g_strsplit (dotted, ".", -1);
	n = g_strv_length (arcs);
	if (n < 2)
		return NULL;
	for (guint i = 0; i < n; i++) {
		if (!g_ascii_string_to_unsigned (arcs[i], 10, 0, G_MAXUINT32, NULL, NULL))
			return NULL;
	}
	first = g_ascii_strtoull (arcs[0], NULL, 10);
	second = g_ascii_strtoull (arcs[1], NULL, 10);
	if (first > 2 || (first < 2 && second > 39))
		return NULL;
	out = g_byte_array_new ();
	for (guint i = 1; i < n; i++) {
		guint64 value = i == 1 ? first * 40 + second : g_ascii_strtoull (arcs[i], NULL, 10);
		guint8 tmp[10];
		gsize len = 0;

		do {
			tmp[len++] = value & 0x7F;
			value >>= 7;
		} while (value != 0);
		while (len > 0) {
			guint8 byte = tmp[--len];

			if (len > 0)
				byte |= 0x80;
			g_byte_array_append (out, &byte, 1);
		}
	}
	return g_byte_array_free_to_bytes (g_steal_pointer (&out));
}

GBytes *
eim_retag (GBytes *tlv, EsimTag tag)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	EsimTlv parsed;
	gsize len;
	const guint8 *data = g_bytes_get_data (tlv, &len);

	if (!esim_tlv_parse_exact (data, len, &parsed, NULL))
		return NULL;
	esim_der_writer_put (writer, tag, parsed.value, parsed.len);
	return esim_der_writer_finish (writer);
}

/* ------------------------------------------------------------------------ */
/* packages */

static void
put_transaction_id (EsimDerWriter *writer, EsimTag tag, GBytes *transaction_id)
{
	if (transaction_id != NULL)
		esim_der_writer_put_bytes (writer, tag, transaction_id);
}

GBytes *
eim_build_euicc_package_signed (const gchar *eim_id, GBytes *eid, gint64 counter, GBytes *transaction_id,
                                const EsimTestEimPackage *package)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	/* EuiccPackageSigned (SGP.32 v1.2): eimId [0], eidValue [APPLICATION 26],
	 * counterValue [1], eimTransactionId [2] OPT, euiccPackage CHOICE
	 * {psmoList [0], ecoList [1]} (automatic tags; digest §3.3, §3.4; V4) */
	esim_der_writer_begin (writer, ESIM_TAG_SEQUENCE);
	esim_der_writer_put_utf8 (writer, EIM_TAG_EIM_ID, eim_id);
	esim_der_writer_put_bytes (writer, ESIM_TAG_EID, eid);
	esim_der_writer_put_int (writer, EIM_TAG_COUNTER_VALUE, counter);
	put_transaction_id (writer, EIM_TAG_EIM_TRANSACTION_ID, transaction_id);
	esim_der_writer_begin (writer, package->ecos ? EIM_TAG_ECO_LIST : EIM_TAG_PSMO_LIST);
	for (guint i = 0; i < package->operations->len; i++) {
		GBytes *op = g_ptr_array_index (package->operations, i);
		gsize len;
		const guint8 *data = g_bytes_get_data (op, &len);

		esim_der_writer_put_raw (writer, data, len);
	}
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

GBytes *
eim_build_euicc_package_request (GBytes *signed_data, const guint8 *signature, gsize len)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	gsize signed_len;
	const guint8 *signed_raw = g_bytes_get_data (signed_data, &signed_len);

	/* EuiccPackageRequest [81] { euiccPackageSigned, eimSignature [APPLICATION 55] } */
	esim_der_writer_begin (writer, ESIM_TAG_LOAD_EUICC_PACKAGE);
	esim_der_writer_put_raw (writer, signed_raw, signed_len);
	esim_der_writer_put (writer, ESIM_TAG_SIGNATURE, signature, len);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

GBytes *
eim_build_signature_input (GBytes *signed_data, gboolean has_token, gint64 token)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	gsize len;
	const guint8 *data = g_bytes_get_data (signed_data, &len);

	/* eimSignature and euiccSignEPR cover DER(…Signed) ‖ associationToken
	 * data object, "84 01 00" when none is configured (SGP.32 §2.11.1.1,
	 * §2.11.1.2; digest §3.5; onomondo-eim src/crypto_utils.erl) */
	esim_der_writer_put_raw (writer, data, len);
	esim_der_writer_put_int (writer, EIM_TAG_CONFIG_TOKEN, has_token ? token : 0);
	return esim_der_writer_finish (writer);
}

static GBytes *
build_data_request (const EsimTestEimPackage *package, GBytes *transaction_id)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	/* IpaEuiccDataRequest [82] { tagList 5C, euiccCiPKIdentifierToBeUsed 04 OPT,
	 * searchCriteriaNotification [1] {seqNumber [0]} OPT,
	 * searchCriteriaEuiccPackageResult [2] {seqNumber [0]} OPT,
	 * eimTransactionId [3] OPT } (digest §3.3) */
	esim_der_writer_begin (writer, ESIM_TAG_IPA_EUICC_DATA_REQUEST);
	esim_der_writer_put_bytes (writer, ESIM_TAG_TAG_LIST, package->tags);
	if (package->ci_pkid != NULL)
		esim_der_writer_put_bytes (writer, EIM_TAG_DATA_CI_PKID, package->ci_pkid);
	if (package->notification_seq >= 0) {
		esim_der_writer_begin (writer, EIM_TAG_DATA_SEARCH_NOTIFICATION);
		esim_der_writer_put_int (writer, EIM_TAG_DATA_SEARCH_SEQ, package->notification_seq);
		esim_der_writer_end (writer);
	}
	if (package->result_seq >= 0) {
		esim_der_writer_begin (writer, EIM_TAG_DATA_SEARCH_RESULT);
		esim_der_writer_put_int (writer, EIM_TAG_DATA_SEARCH_SEQ, package->result_seq);
		esim_der_writer_end (writer);
	}
	put_transaction_id (writer, EIM_TAG_DATA_TRANSACTION_ID, transaction_id);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

static GBytes *
build_download_trigger (const EsimTestEimPackage *package, GBytes *transaction_id)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	/* ProfileDownloadTriggerRequest [84] { profileDownloadData [0] CHOICE
	 * {activationCode [0], contactDefaultSmdp [1] NULL, contactSmds [2]
	 * {smdsAddress [0] OPT}} OPT, eimTransactionId [2] OPT }; [0] on the
	 * CHOICE is explicit (digest §3.3; V20 BF540BA005800341435482020102) */
	esim_der_writer_begin (writer, ESIM_TAG_PROFILE_DOWNLOAD_TRIGGER);
	esim_der_writer_begin (writer, EIM_TAG_DOWNLOAD_DATA);
	switch (package->download_kind) {
	case 0:
		esim_der_writer_put_utf8 (writer, EIM_TAG_DOWNLOAD_AC, package->activation_code);
		break;
	case 1:
		esim_der_writer_put_null (writer, EIM_TAG_DOWNLOAD_DEFAULT_SMDP);
		break;
	default:
		esim_der_writer_begin (writer, EIM_TAG_DOWNLOAD_SMDS);
		if (package->smds_address != NULL)
			esim_der_writer_put_utf8 (writer, EIM_TAG_DOWNLOAD_SMDS_ADDRESS, package->smds_address);
		esim_der_writer_end (writer);
		break;
	}
	esim_der_writer_end (writer);
	put_transaction_id (writer, EIM_TAG_DOWNLOAD_TRANSACTION_ID, transaction_id);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

static GBytes *
build_acknowledgements (GArray *seqs)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	/* EimAcknowledgements [83] SEQUENCE OF SequenceNumber [0] INTEGER
	 * (V20 BF5306800101800102) */
	esim_der_writer_begin (writer, ESIM_TAG_EIM_ACKNOWLEDGEMENTS);
	for (guint i = 0; seqs != NULL && i < seqs->len; i++)
		esim_der_writer_put_int (writer, EIM_TAG_ACK_SEQ_NUMBER, g_array_index (seqs, gint64, i));
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

GBytes *
eim_build_unsigned_package (const EsimTestEimPackage *package, GBytes *transaction_id)
{
	switch (package->kind) {
	case ESIM_TEST_EIM_PACKAGE_DATA_REQUEST:
		return build_data_request (package, transaction_id);
	case ESIM_TEST_EIM_PACKAGE_DOWNLOAD:
		return build_download_trigger (package, transaction_id);
	case ESIM_TEST_EIM_PACKAGE_ACKNOWLEDGEMENTS:
		return build_acknowledgements (package->seqs);
	case ESIM_TEST_EIM_PACKAGE_EUICC:
	default:
		g_return_val_if_reached (NULL);
	}
}

GBytes *
eim_build_configuration (const gchar *eim_id, const gchar *fqdn, gint64 counter, GBytes *signing_key_data,
                         gboolean signing_key_is_cert, GBytes *tls_trust, gboolean tls_trust_is_cert,
                         const EsimTestEimConfigOptions *options)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	EsimTlv parsed;
	gsize len;
	const guint8 *data;

	/* EimConfigurationData (SGP.32 v1.2, digest §4; V16/V17): the [5] and [6]
	 * CHOICEs are explicit and their alternatives implicit, so the SPKI's or
	 * certificate's own 30 becomes A0 / A1 ("Fourth pass": a bare 30 under
	 * A5 was refused by a vendor eUICC) */
	esim_der_writer_begin (writer, ESIM_TAG_SEQUENCE);
	esim_der_writer_put_utf8 (writer, EIM_TAG_CONFIG_EIM_ID, eim_id);
	esim_der_writer_put_utf8 (writer, EIM_TAG_CONFIG_FQDN, fqdn);
	if (options->eim_id_type > 0)
		esim_der_writer_put_int (writer, EIM_TAG_CONFIG_ID_TYPE, options->eim_id_type);
	esim_der_writer_put_int (writer, EIM_TAG_CONFIG_COUNTER, counter);
	if (options->has_association_token)
		esim_der_writer_put_int (writer, EIM_TAG_CONFIG_TOKEN, options->association_token);
	data = g_bytes_get_data (signing_key_data, &len);
	if (esim_tlv_parse_exact (data, len, &parsed, NULL)) {
		esim_der_writer_begin (writer, EIM_TAG_CONFIG_PUBLIC_KEY_DATA);
		esim_der_writer_put (writer, signing_key_is_cert ? EIM_TAG_KEY_CHOICE_CERT : EIM_TAG_KEY_CHOICE_SPKI,
		                     parsed.value, parsed.len);
		esim_der_writer_end (writer);
	}
	if (tls_trust != NULL) {
		data = g_bytes_get_data (tls_trust, &len);
		if (esim_tlv_parse_exact (data, len, &parsed, NULL)) {
			esim_der_writer_begin (writer, EIM_TAG_CONFIG_TLS_TRUST);
			esim_der_writer_put (writer, tls_trust_is_cert ? EIM_TAG_KEY_CHOICE_CERT : EIM_TAG_KEY_CHOICE_SPKI,
			                     parsed.value, parsed.len);
			esim_der_writer_end (writer);
		}
	}
	esim_der_writer_put_named_bits (writer, EIM_TAG_CONFIG_PROTOCOLS,
	                                options->protocols != 0 ? options->protocols
	                                                        : ESIM_TEST_EIM_PROTOCOL_RETRIEVE_HTTPS);
	if (options->euicc_ci_pkid != NULL)
		esim_der_writer_put_bytes (writer, EIM_TAG_CONFIG_CI_PKID, options->euicc_ci_pkid);
	if (!options->no_indirect_download)
		esim_der_writer_put_null (writer, EIM_TAG_CONFIG_INDIRECT);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

/* ------------------------------------------------------------------------ */
/* package builder API */

static EsimTestEimPackage *
package_new (EsimTestEimPackageKind kind)
{
	EsimTestEimPackage *package = g_new0 (EsimTestEimPackage, 1);

	package->kind = kind;
	package->operations = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
	package->notification_seq = -1;
	package->result_seq = -1;
	return package;
}

EsimTestEimPackage *
esim_test_eim_package_new_psmos (void)
{
	return package_new (ESIM_TEST_EIM_PACKAGE_EUICC);
}

EsimTestEimPackage *
esim_test_eim_package_new_ecos (void)
{
	EsimTestEimPackage *package = package_new (ESIM_TEST_EIM_PACKAGE_EUICC);

	package->ecos = TRUE;
	return package;
}

static void
add_operation (EsimTestEimPackage *package, EsimDerWriter *writer)
{
	g_ptr_array_add (package->operations, esim_der_writer_finish (writer));
}

static gboolean
add_iccid_operation (EsimTestEimPackage *package, EsimTag tag, const gchar *iccid, gboolean rollback,
                     GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	guint8 bcd[ESIM_ICCID_LENGTH];

	g_return_val_if_fail (package->kind == ESIM_TEST_EIM_PACKAGE_EUICC && !package->ecos, FALSE);
	if (!eim_iccid_to_bcd (iccid, bcd)) {
		g_set_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_INVALID,
		             "an ICCID is 18 to 20 digits (an F pad at the end allowed), not '%s'",
		             iccid != NULL ? iccid : "");
		return FALSE;
	}
	esim_der_writer_begin (writer, tag);
	esim_der_writer_put (writer, ESIM_TAG_ICCID, bcd, sizeof (bcd));
	/* rollbackFlag NULL is untagged: the sequence has a tagged member (digest §3.4) */
	if (rollback)
		esim_der_writer_put_null (writer, ESIM_TAG_NULL);
	esim_der_writer_end (writer);
	add_operation (package, writer);
	return TRUE;
}

gboolean
esim_test_eim_package_add_enable (EsimTestEimPackage *package, const gchar *iccid, gboolean rollback,
                                  GError **error)
{
	return add_iccid_operation (package, EIM_TAG_PSMO_ENABLE, iccid, rollback, error);
}

gboolean
esim_test_eim_package_add_disable (EsimTestEimPackage *package, const gchar *iccid, GError **error)
{
	return add_iccid_operation (package, EIM_TAG_PSMO_DISABLE, iccid, FALSE, error);
}

gboolean
esim_test_eim_package_add_delete (EsimTestEimPackage *package, const gchar *iccid, GError **error)
{
	return add_iccid_operation (package, EIM_TAG_PSMO_DELETE, iccid, FALSE, error);
}

gboolean
esim_test_eim_package_add_set_fallback (EsimTestEimPackage *package, const gchar *iccid, GError **error)
{
	return add_iccid_operation (package, EIM_TAG_PSMO_SET_FALLBACK, iccid, FALSE, error);
}

static void
add_empty_operation (EsimTestEimPackage *package, EsimTag tag, gboolean eco)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	g_return_if_fail (package->kind == ESIM_TEST_EIM_PACKAGE_EUICC && package->ecos == eco);
	esim_der_writer_put (writer, tag, NULL, 0);
	add_operation (package, writer);
}

void
esim_test_eim_package_add_list_profile_info (EsimTestEimPackage *package, GBytes *request)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	g_return_if_fail (package->kind == ESIM_TEST_EIM_PACKAGE_EUICC && !package->ecos);
	/* listProfileInfo [45] ProfileInfoListRequest: BF2D { searchCriteria, tagList } */
	if (request != NULL)
		esim_der_writer_put_bytes (writer, EIM_TAG_PSMO_LIST_PROFILE_INFO, request);
	else
		esim_der_writer_put (writer, EIM_TAG_PSMO_LIST_PROFILE_INFO, NULL, 0);
	add_operation (package, writer);
}

void
esim_test_eim_package_add_get_rat (EsimTestEimPackage *package)
{
	add_empty_operation (package, EIM_TAG_PSMO_GET_RAT, FALSE);
}

void
esim_test_eim_package_add_unset_fallback (EsimTestEimPackage *package)
{
	add_empty_operation (package, EIM_TAG_PSMO_UNSET_FALLBACK, FALSE);
}

gboolean
esim_test_eim_package_add_configure_immediate_enable (EsimTestEimPackage *package, gboolean immediate_enable,
                                                      const gchar *smdp_oid, const gchar *smdp_address,
                                                      GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) oid = NULL;

	g_return_val_if_fail (package->kind == ESIM_TEST_EIM_PACKAGE_EUICC && !package->ecos, FALSE);
	if (smdp_oid != NULL) {
		oid = oid_encode (smdp_oid);
		if (oid == NULL) {
			g_set_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_INVALID,
			             "'%s' is not a dotted OID", smdp_oid);
			return FALSE;
		}
	}
	/* configureImmediateEnable [7] { immediateEnableFlag [0] NULL OPT,
	 * defaultSmdpOid [1] OID OPT, defaultSmdpAddress [2] UTF8String OPT } */
	esim_der_writer_begin (writer, EIM_TAG_PSMO_CONFIGURE_IMMEDIATE_ENABLE);
	if (immediate_enable)
		esim_der_writer_put_null (writer, EIM_TAG_IMMEDIATE_ENABLE_FLAG);
	if (oid != NULL)
		esim_der_writer_put_bytes (writer, EIM_TAG_DEFAULT_SMDP_OID, oid);
	if (smdp_address != NULL)
		esim_der_writer_put_utf8 (writer, EIM_TAG_DEFAULT_SMDP_ADDRESS, smdp_address);
	esim_der_writer_end (writer);
	add_operation (package, writer);
	return TRUE;
}

void
esim_test_eim_package_add_set_default_dp (EsimTestEimPackage *package, const gchar *address)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	g_return_if_fail (package->kind == ESIM_TEST_EIM_PACKAGE_EUICC && !package->ecos);
	/* setDefaultDpAddress [101] SetDefaultDpAddressRequest { defaultDpAddress [0] } */
	esim_der_writer_begin (writer, EIM_TAG_PSMO_SET_DEFAULT_DP);
	esim_der_writer_put_utf8 (writer, EIM_TAG_DEFAULT_DP_ADDRESS, address);
	esim_der_writer_end (writer);
	add_operation (package, writer);
}

static gboolean
add_configuration_operation (EsimTestEimPackage *package, EsimTag tag, GBytes *configuration,
                             GError **error)
{
	g_autoptr(GBytes) retagged = NULL;
	EsimTlv parsed;
	gsize len;
	const guint8 *data;

	g_return_val_if_fail (package->kind == ESIM_TEST_EIM_PACKAGE_EUICC && package->ecos, FALSE);
	data = configuration != NULL ? g_bytes_get_data (configuration, &len) : NULL;
	if (data == NULL || !esim_tlv_parse_tagged (data, len, ESIM_TAG_SEQUENCE, &parsed, NULL)) {
		g_set_error_literal (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_INVALID,
		                     "an eIM configuration is one EimConfigurationData SEQUENCE (30 …)");
		return FALSE;
	}
	/* addEim [8] / updateEim [10] EimConfigurationData: implicit, the
	 * configuration's 30 becomes A8 / AA (V17 as an eCO) */
	retagged = eim_retag (configuration, tag);
	g_ptr_array_add (package->operations, g_steal_pointer (&retagged));
	return TRUE;
}

gboolean
esim_test_eim_package_add_add_eim (EsimTestEimPackage *package, GBytes *configuration, GError **error)
{
	return add_configuration_operation (package, EIM_TAG_ECO_ADD_EIM, configuration, error);
}

gboolean
esim_test_eim_package_add_update_eim (EsimTestEimPackage *package, GBytes *configuration, GError **error)
{
	return add_configuration_operation (package, EIM_TAG_ECO_UPDATE_EIM, configuration, error);
}

void
esim_test_eim_package_add_delete_eim (EsimTestEimPackage *package, const gchar *eim_id)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();

	g_return_if_fail (package->kind == ESIM_TEST_EIM_PACKAGE_EUICC && package->ecos);
	/* deleteEim [9] SEQUENCE { eimId [0] } */
	esim_der_writer_begin (writer, EIM_TAG_ECO_DELETE_EIM);
	esim_der_writer_put_utf8 (writer, EIM_TAG_EIM_ID, eim_id);
	esim_der_writer_end (writer);
	add_operation (package, writer);
}

void
esim_test_eim_package_add_list_eim (EsimTestEimPackage *package)
{
	add_empty_operation (package, EIM_TAG_ECO_LIST_EIM, TRUE);
}

EsimTestEimPackage *
esim_test_eim_package_new_data_request (const guint8 *tags, gsize n_tags)
{
	EsimTestEimPackage *package = package_new (ESIM_TEST_EIM_PACKAGE_DATA_REQUEST);

	package->tags = g_bytes_new (tags, n_tags);
	return package;
}

void
esim_test_eim_package_set_ci_pkid (EsimTestEimPackage *package, GBytes *ci_pkid)
{
	g_clear_pointer (&package->ci_pkid, g_bytes_unref);
	package->ci_pkid = ci_pkid != NULL ? g_bytes_ref (ci_pkid) : NULL;
}

void
esim_test_eim_package_set_notification_seq (EsimTestEimPackage *package, gint64 seq)
{
	package->notification_seq = seq;
}

void
esim_test_eim_package_set_result_seq (EsimTestEimPackage *package, gint64 seq)
{
	package->result_seq = seq;
}

EsimTestEimPackage *
esim_test_eim_package_new_download (const gchar *activation_code)
{
	EsimTestEimPackage *package = package_new (ESIM_TEST_EIM_PACKAGE_DOWNLOAD);

	package->download_kind = 0;
	package->activation_code = g_strdup (activation_code);
	return package;
}

EsimTestEimPackage *
esim_test_eim_package_new_download_default_smdp (void)
{
	EsimTestEimPackage *package = package_new (ESIM_TEST_EIM_PACKAGE_DOWNLOAD);

	package->download_kind = 1;
	return package;
}

EsimTestEimPackage *
esim_test_eim_package_new_download_smds (const gchar *smds_address)
{
	EsimTestEimPackage *package = package_new (ESIM_TEST_EIM_PACKAGE_DOWNLOAD);

	package->download_kind = 2;
	package->smds_address = g_strdup (smds_address);
	return package;
}

EsimTestEimPackage *
esim_test_eim_package_new_acknowledgements (const gint64 *seqs, guint n_seqs)
{
	EsimTestEimPackage *package = package_new (ESIM_TEST_EIM_PACKAGE_ACKNOWLEDGEMENTS);

	package->seqs = g_array_new (FALSE, FALSE, sizeof (gint64));
	g_array_append_vals (package->seqs, seqs, n_seqs);
	package->transaction_id_set = TRUE;   /* BF53 carries none */
	return package;
}

EsimTestEimPackage *
esim_test_eim_package_new_raw (GBytes *tlv)
{
	EsimTestEimPackage *package;
	EsimTlv parsed;
	gsize len;
	const guint8 *data = g_bytes_get_data (tlv, &len);
	EsimTestEimPackageKind kind = ESIM_TEST_EIM_PACKAGE_EUICC;

	if (esim_tlv_parse (data, len, &parsed, NULL, NULL)) {
		if (parsed.tag == ESIM_TAG_IPA_EUICC_DATA_REQUEST)
			kind = ESIM_TEST_EIM_PACKAGE_DATA_REQUEST;
		else if (parsed.tag == ESIM_TAG_PROFILE_DOWNLOAD_TRIGGER)
			kind = ESIM_TEST_EIM_PACKAGE_DOWNLOAD;
		else if (parsed.tag == ESIM_TAG_EIM_ACKNOWLEDGEMENTS)
			kind = ESIM_TEST_EIM_PACKAGE_ACKNOWLEDGEMENTS;
	}
	package = package_new (kind);
	package->raw = g_bytes_ref (tlv);
	return package;
}

void
esim_test_eim_package_set_transaction_id (EsimTestEimPackage *package, GBytes *transaction_id)
{
	g_clear_pointer (&package->transaction_id, g_bytes_unref);
	package->transaction_id = transaction_id != NULL ? g_bytes_ref (transaction_id) : NULL;
	package->transaction_id_set = TRUE;
}

void
esim_test_eim_package_free (EsimTestEimPackage *package)
{
	if (package == NULL)
		return;
	g_clear_pointer (&package->raw, g_bytes_unref);
	g_ptr_array_unref (package->operations);
	g_clear_pointer (&package->tags, g_bytes_unref);
	g_clear_pointer (&package->ci_pkid, g_bytes_unref);
	g_free (package->activation_code);
	g_free (package->smds_address);
	g_clear_pointer (&package->seqs, g_array_unref);
	g_clear_pointer (&package->transaction_id, g_bytes_unref);
	g_free (package);
}

/* ------------------------------------------------------------------------ */
/* reading results */

void
eim_result_info_clear (EimResultInfo *info)
{
	g_free (info->eim_id);
	g_clear_pointer (&info->eim_transaction_id, g_bytes_unref);
	g_free (info->summary);
	g_clear_pointer (&info->notification_list, g_bytes_unref);
	g_clear_pointer (&info->euicc_certificate, g_bytes_unref);
	g_clear_pointer (&info->eum_certificate, g_bytes_unref);
	g_clear_pointer (&info->euicc_info1, g_bytes_unref);
	g_clear_pointer (&info->embedded_results, g_ptr_array_unref);
	g_clear_pointer (&info->embedded_notifications, g_ptr_array_unref);
	g_clear_pointer (&info->installation_result, g_bytes_unref);
	memset (info, 0, sizeof (*info));
}

static void
info_init (EimResultInfo *info)
{
	memset (info, 0, sizeof (*info));
	info->counter = -1;
	info->seq_number = -1;
	info->error_code = -1;
}

static gboolean
malformed (GError **error, const gchar *what)
{
	g_set_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_MALFORMED, "malformed %s", what);
	return FALSE;
}

static gboolean
read_int (const EsimTlv *tlv, gint64 *out)
{
	return esim_tlv_get_int (tlv, out, NULL);
}

typedef struct {
	gint         code;
	const gchar *name;
} CodeName;

/* Named numbers of the v1.2 result INTEGERs. */
static const CodeName enable_names[] = {
	{ 0, "ok" }, { 1, "iccidOrAidNotFound" }, { 2, "profileNotInDisabledState" },
	{ 3, "disallowedByPolicy" }, { 5, "catBusy" }, { 20, "rollbackNotAvailable" },
	{ 127, "undefinedError" }, { -1, NULL }
};
static const CodeName disable_names[] = {
	{ 0, "ok" }, { 1, "iccidOrAidNotFound" }, { 2, "profileNotInEnabledState" },
	{ 3, "disallowedByPolicy" }, { 5, "catBusy" }, { 127, "undefinedError" }, { -1, NULL }
};
static const CodeName delete_names[] = {
	{ 0, "ok" }, { 1, "iccidOrAidNotFound" }, { 2, "profileNotInDisabledState" },
	{ 3, "disallowedByPolicy" }, { 20, "rollbackNotAvailable" }, { 21, "returnFallbackProfile" },
	{ 127, "undefinedError" }, { -1, NULL }
};
static const CodeName immediate_enable_names[] = {
	{ 0, "ok" }, { 1, "insufficientMemory" }, { 7, "commandError" }, { 127, "undefinedError" },
	{ -1, NULL }
};
static const CodeName add_eim_names[] = {
	{ 0, "ok" }, { 1, "insufficientMemory" }, { 2, "associatedEimAlreadyExists" }, { 3, "ciPKUnknown" },
	{ 5, "invalidAssociationToken" }, { 6, "counterValueOutOfRange" }, { 7, "commandError" },
	{ 127, "undefinedError" }, { -1, NULL }
};
static const CodeName delete_eim_names[] = {
	{ 0, "ok" }, { 1, "eimNotFound" }, { 2, "lastEimDeleted" }, { 7, "commandError" },
	{ 127, "undefinedError" }, { -1, NULL }
};
static const CodeName update_eim_names[] = {
	{ 0, "ok" }, { 1, "eimNotFound" }, { 3, "ciPKUnknown" }, { 6, "counterValueOutOfRange" },
	{ 7, "commandError" }, { 127, "undefinedError" }, { -1, NULL }
};
static const CodeName rollback_names[] = {
	{ 0, "ok" }, { 127, "undefinedError" }, { -1, NULL }
};
static const CodeName set_fallback_names[] = {
	{ 0, "ok" }, { 1, "iccidOrAidNotFound" }, { 2, "fallbackNotAllowed" }, { 3, "fallbackProfileEnabled" },
	{ 127, "undefinedError" }, { -1, NULL }
};
static const CodeName unset_fallback_names[] = {
	{ 0, "ok" }, { 2, "noFallbackAttribute" }, { 3, "fallbackProfileEnabled" }, { 7, "commandError" },
	{ 127, "undefinedError" }, { -1, NULL }
};
static const CodeName terminated_names[] = {
	{ 1, "resultSizeOverflow" }, { 2, "unknownOrDamagedCommand" }, { 3, "interruption" },
	{ 127, "undefinedError" }, { -1, NULL }
};
static const CodeName package_error_names[] = {
	{ 3, "invalidEid" }, { 4, "replayError" }, { 6, "counterValueOutOfRange" }, { 15, "sizeOverflow" },
	{ 104, "ecallActive" }, { 127, "undefinedError" }, { -1, NULL }
};

static gchar *
code_name (const CodeName *names, gint64 code)
{
	for (guint i = 0; names[i].name != NULL; i++) {
		if (names[i].code == code)
			return g_strdup (names[i].name);
	}
	return g_strdup_printf ("%" G_GINT64_FORMAT, code);
}

static void
append_int_result (GString *summary, const gchar *operation, const EsimTlv *tlv, const CodeName *names)
{
	gint64 code;
	g_autofree gchar *name = NULL;

	if (!read_int (tlv, &code)) {
		g_string_append_printf (summary, "%s=(malformed)", operation);
		return;
	}
	name = code_name (names, code);
	g_string_append_printf (summary, "%s=%s", operation, name);
}

/* listProfileInfo: "N profiles (ICCID state, …)" */
static void
append_profile_list (GString *summary, const EsimTlv *tlv)
{
	EsimTlv choice, profile, field;
	EsimTlvIter iter, fields;
	GString *profiles = g_string_new (NULL);
	guint n = 0;

	if (!esim_tlv_parse_exact (tlv->value, tlv->len, &choice, NULL)) {
		g_string_append (summary, "listProfileInfo=(malformed)");
		g_string_free (profiles, TRUE);
		return;
	}
	if (choice.tag != EIM_TAG_ANSWER_OK) {
		gint64 code = -1;

		read_int (&choice, &code);
		g_string_append_printf (summary, "listProfileInfo=error %" G_GINT64_FORMAT, code);
		g_string_free (profiles, TRUE);
		return;
	}
	esim_tlv_iter_init (&iter, &choice);
	while (esim_tlv_iter_next (&iter, &profile, NULL)) {
		g_autofree gchar *iccid = NULL;
		gint64 state = -1;

		if (profile.tag != ESIM_TAG_PROFILE_INFO)
			continue;
		n++;
		esim_tlv_iter_init (&fields, &profile);
		while (esim_tlv_iter_next (&fields, &field, NULL)) {
			if (field.tag == ESIM_TAG_ICCID && iccid == NULL)
				iccid = iccid_from_bcd (field.value, field.len);
			else if (field.tag == 0x9F70)   /* profileState [112] */
				read_int (&field, &state);
		}
		g_string_append_printf (profiles, "%s%s %s", profiles->len > 0 ? ", " : "",
		                        iccid != NULL ? iccid : "?",
		                        state == 1 ? "enabled" : state == 0 ? "disabled" : "?");
	}
	g_string_append_printf (summary, "listProfileInfo=%u profile%s (%s)", n, n == 1 ? "" : "s",
	                        profiles->str);
	g_string_free (profiles, TRUE);
}

static void
append_list_eim (GString *summary, const EsimTlv *tlv)
{
	EsimTlv choice, info, id;
	EsimTlvIter iter;
	GString *ids = g_string_new (NULL);

	if (!esim_tlv_parse_exact (tlv->value, tlv->len, &choice, NULL) || choice.tag != EIM_TAG_ANSWER_OK) {
		g_string_append (summary, "listEim=error");
		g_string_free (ids, TRUE);
		return;
	}
	esim_tlv_iter_init (&iter, &choice);
	while (esim_tlv_iter_next (&iter, &info, NULL)) {
		g_autofree gchar *name = NULL;

		if (esim_tlv_find (&info, EIM_TAG_EIM_ID, &id, NULL))
			name = esim_tlv_dup_utf8 (&id, NULL);
		g_string_append_printf (ids, "%s%s", ids->len > 0 ? "," : "", name != NULL ? name : "?");
	}
	g_string_append_printf (summary, "listEim=%s", ids->str);
	g_string_free (ids, TRUE);
}

static void
append_euicc_result (GString *summary, const EsimTlv *result)
{
	EsimTlv inner;

	if (summary->len > 0)
		g_string_append (summary, " ");
	switch (result->tag) {
	case EIM_TAG_RESULT_ENABLE:
		append_int_result (summary, "enable", result, enable_names);
		break;
	case EIM_TAG_RESULT_DISABLE:
		append_int_result (summary, "disable", result, disable_names);
		break;
	case EIM_TAG_RESULT_DELETE:
		append_int_result (summary, "delete", result, delete_names);
		break;
	case EIM_TAG_RESULT_LIST_PROFILE_INFO:
		append_profile_list (summary, result);
		break;
	case EIM_TAG_RESULT_GET_RAT:
		g_string_append (summary, "getRAT=ok");
		break;
	case EIM_TAG_RESULT_CONFIGURE_IMMEDIATE_ENABLE:
		append_int_result (summary, "configureImmediateEnable", result, immediate_enable_names);
		break;
	case EIM_TAG_RESULT_ADD_EIM:
		/* AddEimResult is a CHOICE, so [8] is explicit: A8 { 84 token | 02 code } */
		if (esim_tlv_parse_exact (result->value, result->len, &inner, NULL) &&
		    inner.tag == EIM_TAG_ADD_EIM_TOKEN) {
			gint64 token = 0;

			read_int (&inner, &token);
			g_string_append_printf (summary, "addEim=associationToken %" G_GINT64_FORMAT, token);
		} else if (esim_tlv_parse_exact (result->value, result->len, &inner, NULL)) {
			append_int_result (summary, "addEim", &inner, add_eim_names);
		} else {
			g_string_append (summary, "addEim=(malformed)");
		}
		break;
	case EIM_TAG_RESULT_DELETE_EIM:
		append_int_result (summary, "deleteEim", result, delete_eim_names);
		break;
	case EIM_TAG_RESULT_UPDATE_EIM:
		append_int_result (summary, "updateEim", result, update_eim_names);
		break;
	case EIM_TAG_RESULT_LIST_EIM:
		append_list_eim (summary, result);
		break;
	case EIM_TAG_RESULT_ROLLBACK:
		append_int_result (summary, "rollback", result, rollback_names);
		break;
	case EIM_TAG_RESULT_SET_FALLBACK:
		append_int_result (summary, "setFallbackAttribute", result, set_fallback_names);
		break;
	case EIM_TAG_RESULT_UNSET_FALLBACK:
		append_int_result (summary, "unsetFallbackAttribute", result, unset_fallback_names);
		break;
	case ESIM_TAG_INTEGER:
		append_int_result (summary, "processingTerminated", result, terminated_names);
		break;
	case EIM_TAG_RESULT_SET_DEFAULT_DP:
		/* SetDefaultDpAddressResponse { setDefaultDpAddressResult [0] } */
		if (esim_tlv_parse_exact (result->value, result->len, &inner, NULL))
			append_int_result (summary, "setDefaultDpAddress", &inner, rollback_names);
		else
			g_string_append (summary, "setDefaultDpAddress=(malformed)");
		break;
	default:
		g_string_append_printf (summary, "unknown-%X", result->tag);
		break;
	}
}

/* EuiccPackageResultDataSigned 30 { 80 eimId, 81 counter, 82 tid OPT, 83 seq, 30 { results } }
 * or EuiccPackageErrorDataSigned 30 { 80, 81, 82 OPT, 02 code } (digest §3.5) */
static gboolean
parse_result_data_signed (const EsimTlv *data, gboolean error_form, EimResultInfo *info, GError **error)
{
	EsimTlv field, result;
	EsimTlvIter iter, results;
	gboolean have_id = FALSE, have_counter = FALSE, have_end = FALSE;
	GString *summary = g_string_new (NULL);

	esim_tlv_iter_init (&iter, data);
	while (esim_tlv_iter_next (&iter, &field, NULL)) {
		if (have_end)
			goto bad;
		if (field.tag == EIM_TAG_EIM_ID && !have_id) {
			info->eim_id = esim_tlv_dup_utf8 (&field, NULL);
			have_id = info->eim_id != NULL;
		} else if (field.tag == EIM_TAG_COUNTER_VALUE && have_id && !have_counter) {
			have_counter = read_int (&field, &info->counter);
		} else if (field.tag == EIM_TAG_EIM_TRANSACTION_ID && have_counter && info->eim_transaction_id == NULL &&
		           info->seq_number < 0) {
			info->eim_transaction_id = esim_tlv_dup_value (&field);
		} else if (!error_form && field.tag == EIM_TAG_RESULT_SEQ_NUMBER && have_counter && info->seq_number < 0) {
			if (!read_int (&field, &info->seq_number) || info->seq_number < 0)
				goto bad;
		} else if (!error_form && field.tag == ESIM_TAG_SEQUENCE && info->seq_number >= 0) {
			esim_tlv_iter_init (&results, &field);
			while (esim_tlv_iter_next (&results, &result, NULL))
				append_euicc_result (summary, &result);
			have_end = TRUE;
		} else if (error_form && field.tag == ESIM_TAG_INTEGER && have_counter) {
			g_autofree gchar *name = NULL;

			if (!read_int (&field, &info->error_code))
				goto bad;
			name = code_name (package_error_names, info->error_code);
			g_string_append_printf (summary, "euiccPackageError=%s", name);
			have_end = TRUE;
		} else {
			goto bad;
		}
	}
	if (!have_end)
		goto bad;
	info->summary = g_string_free (summary, FALSE);
	return TRUE;
bad:
	g_string_free (summary, TRUE);
	return malformed (error, error_form ? "EuiccPackageErrorDataSigned" : "EuiccPackageResultDataSigned");
}

gboolean
eim_parse_euicc_package_result (GBytes *tlv, EimResultInfo *info, GError **error)
{
	EsimTlv top, choice, signed_data, signature, field;
	EsimTlvIter iter;
	gsize len;
	const guint8 *data = g_bytes_get_data (tlv, &len);

	info_init (info);
	/* EuiccPackageResult [81] CHOICE: the alternatives have automatic tags
	 * A0 / A1 / A2 under an explicit BF51 (V5, V7; V19 leaves A0 out and is
	 * wrong: "Conflicts to encode as tests" 1) */
	if (!esim_tlv_parse_tagged (data, len, ESIM_TAG_LOAD_EUICC_PACKAGE, &top, NULL) ||
	    !esim_tlv_parse_exact (top.value, top.len, &choice, NULL))
		return malformed (error, "EuiccPackageResult (BF51 { A0 | A1 | A2 })");
	if (choice.tag == EIM_TAG_EPR_SIGNED || choice.tag == EIM_TAG_EPR_ERROR_SIGNED) {
		gboolean error_form = choice.tag == EIM_TAG_EPR_ERROR_SIGNED;

		esim_tlv_iter_init (&iter, &choice);
		if (!esim_tlv_iter_next (&iter, &signed_data, NULL) || signed_data.tag != ESIM_TAG_SEQUENCE ||
		    !esim_tlv_iter_next (&iter, &signature, NULL) || signature.tag != ESIM_TAG_SIGNATURE ||
		    esim_tlv_iter_next (&iter, &field, NULL))
			return malformed (error, "EuiccPackageResultSigned");
		/* r‖s of P-256 (digest §3.5) */
		if (signature.len != ESIM_SIGNATURE_LENGTH)
			return malformed (error, "EuiccPackageResult signature (not 64 bytes)");
		info->kind = error_form ? ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_ERROR
		                        : ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT;
		info->signed_raw = signed_data.raw;
		info->signed_len = signed_data.raw_len;
		info->signature = signature.value;
		info->signature_len = signature.len;
		return parse_result_data_signed (&signed_data, error_form, info, error);
	}
	if (choice.tag == EIM_TAG_EPR_ERROR_UNSIGNED) {
		/* EuiccPackageErrorUnsigned { eimId [0], eimTransactionId [2] OPT,
		 * associationToken [4] OPT, euiccPackageUnsignedErrorCode [15] OPT } */
		info->kind = ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_ERROR_UNSIGNED;
		esim_tlv_iter_init (&iter, &choice);
		while (esim_tlv_iter_next (&iter, &field, NULL)) {
			if (field.tag == EIM_TAG_EIM_ID && info->eim_id == NULL)
				info->eim_id = esim_tlv_dup_utf8 (&field, NULL);
			else if (field.tag == EIM_TAG_EIM_TRANSACTION_ID && info->eim_transaction_id == NULL)
				info->eim_transaction_id = esim_tlv_dup_value (&field);
			else if (field.tag == EIM_TAG_EPR_UNSIGNED_TOKEN)
				continue;
			else if (field.tag == EIM_TAG_EPR_UNSIGNED_CODE)
				read_int (&field, &info->error_code);
			else
				return malformed (error, "EuiccPackageErrorUnsigned");
		}
		if (info->eim_id == NULL)
			return malformed (error, "EuiccPackageErrorUnsigned (no eimId)");
		info->summary = g_strdup_printf ("euiccPackageErrorUnsigned=%" G_GINT64_FORMAT, info->error_code);
		return TRUE;
	}
	return malformed (error, "EuiccPackageResult (BF51 { A0 | A1 | A2 })");
}

static GPtrArray *
split_children (const EsimTlv *parent)
{
	GPtrArray *children = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
	EsimTlvIter iter;
	EsimTlv child;

	esim_tlv_iter_init (&iter, parent);
	while (esim_tlv_iter_next (&iter, &child, NULL))
		g_ptr_array_add (children, esim_tlv_dup_raw (&child));
	return children;
}

/* IpaEuiccDataResponse [82] CHOICE { ipaEuiccData [0], ipaEuiccDataResponseError [1] } */
static gboolean
parse_ipa_euicc_data (const EsimTlv *top, EimResultInfo *info, GError **error)
{
	EsimTlv choice, field;
	EsimTlvIter iter;
	GString *summary = g_string_new ("ipaEuiccData");
	g_autoptr(GBytes) raw = NULL;

	if (!esim_tlv_parse_exact (top->value, top->len, &choice, NULL))
		return malformed (error, "IpaEuiccDataResponse");
	if (choice.tag == EIM_TAG_DATA_ERROR) {
		g_string_free (summary, TRUE);
		info->kind = ESIM_TEST_EIM_RECORD_IPA_EUICC_DATA_ERROR;
		esim_tlv_iter_init (&iter, &choice);
		while (esim_tlv_iter_next (&iter, &field, NULL)) {
			if (field.tag == EIM_TAG_DATA_ERROR_TRANSACTION_ID)
				info->eim_transaction_id = esim_tlv_dup_value (&field);
			else if (field.tag == ESIM_TAG_INTEGER)
				read_int (&field, &info->error_code);
			else
				return malformed (error, "IpaEuiccDataResponseError");
		}
		info->summary = g_strdup_printf ("ipaEuiccDataError=%s",
		                                 info->error_code == 1 ? "incorrectTagList" :
		                                 info->error_code == 5 ? "euiccCiPKIdNotFound" :
		                                 info->error_code == 104 ? "ecallActive" : "undefinedError");
		return TRUE;
	}
	if (choice.tag != EIM_TAG_DATA_OK) {
		g_string_free (summary, TRUE);
		return malformed (error, "IpaEuiccDataResponse (BF52 { A0 | A1 })");
	}
	info->kind = ESIM_TEST_EIM_RECORD_IPA_EUICC_DATA;
	esim_tlv_iter_init (&iter, &choice);
	while (esim_tlv_iter_next (&iter, &field, NULL)) {
		g_string_append_printf (summary, " %X", field.tag);
		switch (field.tag) {
		case EIM_TAG_IPA_NOTIFICATIONS:
			info->embedded_notifications = split_children (&field);
			break;
		case EIM_TAG_IPA_RESULT_LIST:
			info->embedded_results = split_children (&field);
			break;
		case ESIM_TAG_GET_EUICC_INFO1:
			info->euicc_info1 = esim_tlv_dup_raw (&field);
			break;
		case EIM_TAG_IPA_ASSOCIATION_TOKEN:
			info->has_association_token = read_int (&field, &info->association_token);
			break;
		case EIM_TAG_IPA_EUM_CERTIFICATE:
		case EIM_TAG_IPA_EUICC_CERTIFICATE:
			/* [5]/[6] Certificate, implicit: A5/A6 replace the certificate's 30 */
			raw = esim_tlv_dup_raw (&field);
			if (field.tag == EIM_TAG_IPA_EUM_CERTIFICATE)
				info->eum_certificate = eim_retag (raw, ESIM_TAG_SEQUENCE);
			else
				info->euicc_certificate = eim_retag (raw, ESIM_TAG_SEQUENCE);
			g_clear_pointer (&raw, g_bytes_unref);
			break;
		case EIM_TAG_IPA_TRANSACTION_ID:
			info->eim_transaction_id = esim_tlv_dup_value (&field);
			break;
		default:
			break;
		}
	}
	info->summary = g_string_free (summary, FALSE);
	return TRUE;
}

/* ProfileDownloadTriggerResult [84] { eimTransactionId [2] OPT, CHOICE
 * { profileInstallationResult BF37, profileDownloadError 30 { [0] reason, 04 OPT } } } */
static gboolean
parse_download_result (const EsimTlv *top, EimResultInfo *info, GError **error)
{
	EsimTlv field, reason;
	EsimTlvIter iter;
	gboolean have_result = FALSE;

	esim_tlv_iter_init (&iter, top);
	while (esim_tlv_iter_next (&iter, &field, NULL)) {
		if (have_result)
			return malformed (error, "ProfileDownloadTriggerResult");
		if (field.tag == EIM_TAG_DOWNLOAD_TRANSACTION_ID && info->eim_transaction_id == NULL) {
			info->eim_transaction_id = esim_tlv_dup_value (&field);
		} else if (field.tag == ESIM_TAG_PROFILE_INSTALLATION_RESULT) {
			g_autofree gchar *summary = NULL;

			info->kind = ESIM_TEST_EIM_RECORD_DOWNLOAD_RESULT;
			info->installation_result = esim_tlv_dup_raw (&field);
			if (!eim_parse_notification (info->installation_result, &info->seq_number, NULL, &summary, error))
				return FALSE;
			info->summary = g_strdup_printf ("download=%s", summary);
			have_result = TRUE;
		} else if (field.tag == ESIM_TAG_SEQUENCE) {
			info->kind = ESIM_TEST_EIM_RECORD_DOWNLOAD_ERROR;
			if (!esim_tlv_find (&field, EIM_TAG_DOWNLOAD_ERROR_REASON, &reason, NULL) ||
			    !read_int (&reason, &info->error_code))
				return malformed (error, "profileDownloadError");
			info->summary = g_strdup_printf ("downloadError=%s",
			                                 info->error_code == 104 ? "ecallActive" : "undefinedError");
			have_result = TRUE;
		} else {
			return malformed (error, "ProfileDownloadTriggerResult");
		}
	}
	if (!have_result)
		return malformed (error, "ProfileDownloadTriggerResult (no result)");
	return TRUE;
}

static gboolean
parse_correlated_error (const EsimTlv *top, EimResultInfo *info, EsimTag code_tag, GError **error)
{
	EsimTlv field, id;
	EsimTlvIter iter;

	esim_tlv_iter_init (&iter, top);
	while (esim_tlv_iter_next (&iter, &field, NULL)) {
		if (field.tag == EIM_TAG_CID_CHOICE && code_tag != ESIM_TAG_INTEGER) {
			/* correlationId CHOICE { eimTransactionId [0], eidValue 5A }, explicit */
			if (esim_tlv_parse_exact (field.value, field.len, &id, NULL) && id.tag == EIM_TAG_TRANSACTION_ID)
				info->eim_transaction_id = esim_tlv_dup_value (&id);
		} else if (field.tag == EIM_TAG_RESULT_ERROR_TRANSACTION_ID && code_tag == ESIM_TAG_INTEGER) {
			info->eim_transaction_id = esim_tlv_dup_value (&field);
		} else if (field.tag == code_tag) {
			if (!read_int (&field, &info->error_code))
				return malformed (error, "error code");
		} else {
			return malformed (error, "error with correlation");
		}
	}
	return TRUE;
}

gboolean
eim_parse_package_result (GBytes *tlv, gboolean transfer, EimResultInfo *info, GError **error)
{
	EsimTlv top, epr, list;
	EsimTlvIter iter;
	gsize len;
	const guint8 *data = g_bytes_get_data (tlv, &len);

	info_init (info);
	if (!esim_tlv_parse_exact (data, len, &top, NULL))
		return malformed (error, "EimPackageResult");
	switch (top.tag) {
	case ESIM_TAG_LOAD_EUICC_PACKAGE:
		return eim_parse_euicc_package_result (tlv, info, error);
	case ESIM_TAG_SEQUENCE: {
		/* ePRAndNotifications SEQUENCE { euiccPackageResult BF51, notificationList [0] } */
		g_autoptr(GBytes) epr_raw = NULL;

		esim_tlv_iter_init (&iter, &top);
		if (!esim_tlv_iter_next (&iter, &epr, NULL) || epr.tag != ESIM_TAG_LOAD_EUICC_PACKAGE ||
		    !esim_tlv_iter_next (&iter, &list, NULL) || list.tag != EIM_TAG_NOTIFICATION_LIST ||
		    esim_tlv_iter_next (&iter, &top, NULL))
			return malformed (error, "ePRAndNotifications (30 { BF51, A0 })");
		/* a slice of @tlv: the pointers to the signed data stay inside the caller's bytes */
		epr_raw = g_bytes_new_from_bytes (tlv, epr.raw - data, epr.raw_len);
		if (!eim_parse_euicc_package_result (epr_raw, info, error))
			return FALSE;
		info->notification_list = esim_tlv_dup_raw (&list);
		info->embedded_notifications = split_children (&list);
		return TRUE;
	}
	case ESIM_TAG_IPA_EUICC_DATA_REQUEST:
		return parse_ipa_euicc_data (&top, info, error);
	case ESIM_TAG_PROFILE_DOWNLOAD_TRIGGER:
		return parse_download_result (&top, info, error);
	case EIM_TAG_RESULT_RESPONSE_ERROR:
		if (transfer)
			break;
		/* eimPackageResultResponseError [0] { eimTransactionId [0] OPT, code } */
		info->kind = ESIM_TEST_EIM_RECORD_PACKAGE_RESULT_ERROR;
		if (!parse_correlated_error (&top, info, ESIM_TAG_INTEGER, error))
			return FALSE;
		info->summary = g_strdup_printf ("eimPackageResultResponseError=%" G_GINT64_FORMAT, info->error_code);
		return TRUE;
	case ESIM_TAG_NULL:
		if (!transfer || top.len != 0)
			break;
		info->kind = ESIM_TEST_EIM_RECORD_PACKAGE_RECEIVED;
		info->summary = g_strdup ("eimPackageReceived");
		return TRUE;
	case EIM_TAG_PACKAGE_RECEIVED_CID:
		if (!transfer)
			break;
		info->kind = ESIM_TEST_EIM_RECORD_PACKAGE_RECEIVED;
		if (!parse_correlated_error (&top, info, 0, error))
			return FALSE;
		info->summary = g_strdup ("eimPackageReceivedWithCid");
		return TRUE;
	case ESIM_TAG_INTEGER:
		if (!transfer)
			break;
		info->kind = ESIM_TEST_EIM_RECORD_TRANSFER_ERROR;
		read_int (&top, &info->error_code);
		info->summary = g_strdup_printf ("eimPackageError=%" G_GINT64_FORMAT, info->error_code);
		return TRUE;
	case EIM_TAG_PACKAGE_ERROR_CID:
		if (!transfer)
			break;
		info->kind = ESIM_TEST_EIM_RECORD_TRANSFER_ERROR;
		if (!parse_correlated_error (&top, info, EIM_TAG_CID_ERROR_CODE, error))
			return FALSE;
		info->summary = g_strdup_printf ("eimPackageErrorWithCid=%" G_GINT64_FORMAT, info->error_code);
		return TRUE;
	default:
		break;
	}
	g_set_error (error, ESIM_TEST_EIM_ERROR, ESIM_TEST_EIM_ERROR_MALFORMED,
	             "%s with tag %X is not an eIM package result", transfer ? "TransferEimPackageResponse" :
	             "EimPackageResult", top.tag);
	return FALSE;
}

static const gchar *
operation_name (const EsimTlv *bits)
{
	/* NotificationEvent BIT STRING { install(0), enable(1), disable(2), delete(3) } */
	static const gchar *const names[] = { "install", "enable", "disable", "delete" };

	for (guint bit = 0; bit < G_N_ELEMENTS (names); bit++) {
		if (esim_tlv_bit_is_set (bits, bit))
			return names[bit];
	}
	return "?";
}

/* NotificationMetadata BF2F { 80 seqNumber, 81 operation, 0C address, 5A iccid OPT } */
static gboolean
parse_metadata (const EsimTlv *metadata, gint64 *seq, gchar **address, const gchar **operation)
{
	EsimTlv field;

	/* seqNumber counts up from 0 on the eUICC: a negative one is broken */
	if (!esim_tlv_find (metadata, ESIM_TAG_NOTIF_SEQ_NUMBER, &field, NULL) || !read_int (&field, seq) || *seq < 0)
		return FALSE;
	if (esim_tlv_find (metadata, ESIM_TAG_NOTIF_OPERATION, &field, NULL))
		*operation = operation_name (&field);
	if (address != NULL && esim_tlv_find (metadata, ESIM_TAG_NOTIF_ADDRESS, &field, NULL))
		*address = esim_tlv_dup_utf8 (&field, NULL);
	return TRUE;
}

gboolean
eim_parse_notification (GBytes *tlv, gint64 *seq_number, gchar **notification_address, gchar **summary,
                        GError **error)
{
	EsimTlv top, data, metadata, field;
	gsize len;
	const guint8 *raw = g_bytes_get_data (tlv, &len);
	const gchar *operation = "?";
	const gchar *form;

	*seq_number = -1;
	if (notification_address != NULL)
		*notification_address = NULL;
	if (!esim_tlv_parse_exact (raw, len, &top, NULL))
		return malformed (error, "PendingNotification");
	switch (top.tag) {
	case ESIM_TAG_PROFILE_INSTALLATION_RESULT:
		/* ProfileInstallationResult BF37 { BF27 { 80 tid, BF2F metadata, 06 oid, A2 result }, 5F37 } */
		form = "profileInstallationResult";
		if (!esim_tlv_find (&top, EIM_TAG_PIR_DATA, &data, NULL) ||
		    !esim_tlv_find (&data, ESIM_TAG_NOTIFICATION_METADATA, &metadata, NULL) ||
		    !parse_metadata (&metadata, seq_number, notification_address, &operation))
			return malformed (error, "ProfileInstallationResult");
		operation = esim_tlv_find (&data, ESIM_TAG_PIR_FINAL_RESULT, &field, NULL) &&
		            esim_tlv_find (&field, ESIM_TAG_PIR_ERROR_RESULT, &field, NULL) ? "error" : "success";
		break;
	case ESIM_TAG_SEQUENCE:
		/* OtherSignedNotification 30 { BF2F tbs, 5F37, 30 euiccCert, 30 eumCert } */
		form = "otherSignedNotification";
		if (!esim_tlv_find (&top, ESIM_TAG_NOTIFICATION_METADATA, &metadata, NULL) ||
		    !parse_metadata (&metadata, seq_number, notification_address, &operation))
			return malformed (error, "OtherSignedNotification");
		break;
	case EIM_TAG_COMPACT_PIR:
		/* CompactProfileInstallationResult { [0] { [0] tid, seqNumber INTEGER, … }, 5F37 } */
		form = "compactProfileInstallationResult";
		if (!esim_tlv_find (&top, EIM_TAG_COMPACT_PIR, &data, NULL) ||
		    !esim_tlv_find (&data, ESIM_TAG_INTEGER, &field, NULL) || !read_int (&field, seq_number) ||
		    *seq_number < 0)
			return malformed (error, "CompactProfileInstallationResult");
		operation = "install";
		break;
	case EIM_TAG_COMPACT_OSN:
		/* CompactOtherSignedNotification { 5A eid OPT, BF2F tbs, 5F37, 04 OPT } (V8) */
		form = "compactOtherSignedNotification";
		if (!esim_tlv_find (&top, ESIM_TAG_NOTIFICATION_METADATA, &metadata, NULL) ||
		    !parse_metadata (&metadata, seq_number, notification_address, &operation))
			return malformed (error, "CompactOtherSignedNotification");
		break;
	default:
		return malformed (error, "PendingNotification (BF37 | 30 | A0 | A1)");
	}
	/* a signed object without its signature is not a notification */
	if (!esim_tlv_find (&top, ESIM_TAG_SIGNATURE, &field, NULL))
		return malformed (error, "PendingNotification (no signature)");
	if (summary != NULL)
		*summary = g_strdup_printf ("%s %s seq=%" G_GINT64_FORMAT, form, operation, *seq_number);
	return TRUE;
}

gboolean
eim_parse_authenticate_server_certificates (GBytes *bf38, GBytes **euicc_certificate, GBytes **eum_certificate)
{
	EsimTlv top, choice, field;
	EsimTlvIter iter;
	gsize len;
	const guint8 *data = g_bytes_get_data (bf38, &len);
	guint n = 0;

	*euicc_certificate = NULL;
	*eum_certificate = NULL;
	/* AuthenticateServerResponse BF38 { authenticateResponseOk A0 { 30 euiccSigned1,
	 * 5F37, 30 euiccCertificate, 30 eumCertificate } } (SGP.22; read only) */
	if (!esim_tlv_parse_exact (data, len, &top, NULL) || top.tag != ESIM_TAG_AUTHENTICATE_SERVER ||
	    !esim_tlv_parse_exact (top.value, top.len, &choice, NULL) || choice.tag != EIM_TAG_AUTH_RESPONSE_OK)
		return FALSE;
	esim_tlv_iter_init (&iter, &choice);
	while (esim_tlv_iter_next (&iter, &field, NULL)) {
		n++;
		if (n == 3 && field.tag == ESIM_TAG_SEQUENCE)
			*euicc_certificate = esim_tlv_dup_raw (&field);
		else if (n == 4 && field.tag == ESIM_TAG_SEQUENCE)
			*eum_certificate = esim_tlv_dup_raw (&field);
	}
	if (*euicc_certificate == NULL || *eum_certificate == NULL) {
		g_clear_pointer (euicc_certificate, g_bytes_unref);
		g_clear_pointer (eum_certificate, g_bytes_unref);
		return FALSE;
	}
	return TRUE;
}
