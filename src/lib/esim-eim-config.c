/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * EimConfigurationData from fields (esim-es10.h): what `esimcli eim add`
 * builds from its options for AddInitialEim.  SGP.32 v1.2 §2.11.1; wire form
 * in sgp32-digest.md §4, whose byte values V16 and V17 (vectors.md, from
 * onomondo-ipa and onomondo-eim) reproduce.
 */

#define G_LOG_DOMAIN "esim"

#include <gio/gio.h>
#include <string.h>

#include "esim-activation-code.h"
#include "esim-der.h"
#include "esim-es10.h"
#include "esim-es9p.h"
#include "esim-tags.h"
#include "esim-util.h"

#define EIM_CI_PKID_MAX_LENGTH 64   /* a SubjectKeyIdentifier; SHA-1 ones are 20 bytes */
#define EIM_KEY_MAX_LENGTH     16384

static gboolean
invalid_argument (GError **error, const gchar *format, ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid_argument (GError **error, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *message = NULL;

	va_start (args, format);
	message = g_strdup_vprintf (format, args);
	va_end (args);
	g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, message);
	return FALSE;
}

/* A DER SubjectPublicKeyInfo { 30 algorithm, 03 key } or Certificate
 * { 30 tbs, 30 algorithm, 03 signature }: which one, by its members. */
static gboolean
classify_der (const guint8 *data, gsize len, EsimEimKeyKind *kind, GError **error)
{
	g_autoptr(GError) local = NULL;
	EsimTag members[4];
	EsimTlvIter iter;
	EsimTlv outer;
	EsimTlv child;
	guint n = 0;

	if (!esim_tlv_parse_tagged (data, len, ESIM_TAG_SEQUENCE, &outer, NULL))
		return invalid_argument (error, "not one DER SEQUENCE");
	esim_tlv_iter_init (&iter, &outer);
	while (n < G_N_ELEMENTS (members) && esim_tlv_iter_next (&iter, &child, &local))
		members[n++] = child.tag;
	if (local != NULL)
		return invalid_argument (error, "a malformed SEQUENCE: %s", local->message);
	if (n == 2 && members[0] == ESIM_TAG_SEQUENCE && members[1] == ESIM_TAG_BIT_STRING) {
		*kind = ESIM_EIM_KEY_PUBLIC_KEY;
		return TRUE;
	}
	if (n == 3 && members[0] == ESIM_TAG_SEQUENCE && members[1] == ESIM_TAG_SEQUENCE &&
	    members[2] == ESIM_TAG_BIT_STRING) {
		*kind = ESIM_EIM_KEY_CERTIFICATE;
		return TRUE;
	}
	return invalid_argument (error, "neither a SubjectPublicKeyInfo nor an X.509 certificate");
}

/* The one PEM block in @text, decoded, with its label. */
static GBytes *
decode_pem (const gchar *text, gchar **label_out, GError **error)
{
	const gchar *begin = strstr (text, "-----BEGIN ");
	const gchar *label_start;
	const gchar *label_end;
	const gchar *end;
	g_autofree gchar *label = NULL;
	g_autofree gchar *end_line = NULL;
	g_autofree gchar *body = NULL;
	g_autoptr(GBytes) der = NULL;
	g_autoptr(GError) local = NULL;

	label_start = begin + strlen ("-----BEGIN ");
	label_end = strstr (label_start, "-----");
	if (label_end == NULL || memchr (label_start, '\n', label_end - label_start) != NULL) {
		invalid_argument (error, "a PEM header without its closing dashes");
		return NULL;
	}
	label = g_strndup (label_start, label_end - label_start);
	end_line = g_strdup_printf ("-----END %s-----", label);
	end = strstr (label_end + 5, end_line);
	if (end == NULL) {
		invalid_argument (error, "the PEM block \"%s\" has no END line", label);
		return NULL;
	}
	if (strstr (end + strlen (end_line), "-----BEGIN ") != NULL) {
		invalid_argument (error, "more than one PEM block; give the one key or certificate");
		return NULL;
	}
	body = g_strndup (label_end + 5, end - (label_end + 5));
	der = esim_base64_decode_strict (body, &local);
	if (der == NULL) {
		invalid_argument (error, "the PEM block \"%s\": %s", label, local->message);
		return NULL;
	}
	*label_out = g_steal_pointer (&label);
	return g_steal_pointer (&der);
}

GBytes *
esim_eim_key_from_data (GBytes *data, EsimEimKeyKind *kind, GError **error)
{
	g_autoptr(GBytes) der = NULL;
	g_autofree gchar *label = NULL;
	EsimEimKeyKind found = ESIM_EIM_KEY_NONE;
	const guint8 *bytes;
	gsize len = 0;

	g_return_val_if_fail (data != NULL, NULL);
	g_return_val_if_fail (kind != NULL, NULL);

	bytes = g_bytes_get_data (data, &len);
	if (len == 0 || len > EIM_KEY_MAX_LENGTH) {
		invalid_argument (error, "a key or certificate of %" G_GSIZE_FORMAT " bytes", len);
		return NULL;
	}
	if (memchr (bytes, '\0', len) == NULL) {
		g_autofree gchar *text = g_strndup ((const gchar *) bytes, len);

		if (strstr (text, "-----BEGIN ") != NULL) {
			der = decode_pem (text, &label, error);
			if (der == NULL)
				return NULL;
			if (!g_str_equal (label, "PUBLIC KEY") && !g_str_equal (label, "CERTIFICATE")) {
				invalid_argument (error, "a PEM \"%s\", not a PUBLIC KEY or CERTIFICATE",
				                  label);
				return NULL;
			}
		}
	}
	if (der == NULL)
		der = g_bytes_ref (data);
	if (!classify_der (g_bytes_get_data (der, NULL), g_bytes_get_size (der), &found, error))
		return NULL;
	if (label != NULL && (found == ESIM_EIM_KEY_CERTIFICATE) != g_str_equal (label, "CERTIFICATE")) {
		invalid_argument (error, "the PEM label \"%s\" does not match its contents", label);
		return NULL;
	}
	*kind = found;
	return g_steal_pointer (&der);
}

/* [5]/[6] { A0 <SPKI contents> | A1 <Certificate contents> } from a file's contents. */
static gboolean
put_key_data (EsimDerWriter *writer, EsimTag tag, GBytes *data, const gchar *what,
              GError **error)
{
	g_autoptr(GBytes) der = NULL;
	g_autoptr(GError) local = NULL;
	EsimEimKeyKind kind = ESIM_EIM_KEY_NONE;
	EsimTlv tlv;

	der = esim_eim_key_from_data (data, &kind, &local);
	if (der == NULL)
		return invalid_argument (error, "%s: %s", what, local->message);
	esim_tlv_parse_exact (g_bytes_get_data (der, NULL), g_bytes_get_size (der), &tlv, NULL);
	esim_der_writer_begin (writer, tag);
	esim_der_writer_put (writer, kind == ESIM_EIM_KEY_PUBLIC_KEY ? ESIM_TAG_EIM_KEY_SPKI :
	                     ESIM_TAG_EIM_KEY_CERTIFICATE, tlv.value, tlv.len);
	esim_der_writer_end (writer);
	return TRUE;
}

static gboolean
check_eim_config_input (const EsimEimConfigInput *input, GError **error)
{
	g_autoptr(GError) local = NULL;
	gsize id_len;

	if (input->eim_id == NULL)
		return invalid_argument (error, "eimId: none given");
	id_len = strlen (input->eim_id);
	if (id_len < 1 || id_len > ESIM_EIM_ID_MAX_LENGTH ||
	    !g_utf8_validate (input->eim_id, -1, NULL))
		return invalid_argument (error, "eimId: must be 1 to %d bytes of UTF-8",
		                         ESIM_EIM_ID_MAX_LENGTH);
	if (input->fqdn != NULL &&
	    (strlen (input->fqdn) > ESIM_EIM_FQDN_MAX_LENGTH ||
	     !esim_server_address_parse (input->fqdn, NULL, NULL, &local)))
		return invalid_argument (error, "eimFqdn \"%s\": %s", input->fqdn,
		                         local != NULL ? local->message : "too long");
	if (input->id_type != -1 && (input->id_type < 1 || input->id_type > 3))
		return invalid_argument (error, "eimIdType: %d is none of oid (1), fqdn (2), "
		                         "proprietary (3)", input->id_type);
	if (input->counter_value < -1)
		return invalid_argument (error, "counterValue: %" G_GINT64_FORMAT " is negative",
		                         input->counter_value);
	if (input->supported_protocols >= (1u << 5))
		return invalid_argument (error, "eimSupportedProtocol: bits beyond eimProprietary (4)");
	return TRUE;
}

GBytes *
esim_es10_encode_eim_config (const EsimEimConfigInput *input, GError **error)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) ci_pkid = NULL;

	g_return_val_if_fail (input != NULL, NULL);

	if (!check_eim_config_input (input, error))
		return NULL;
	if (input->euicc_ci_pkid != NULL) {
		ci_pkid = esim_hex_decode (input->euicc_ci_pkid, NULL);
		if (ci_pkid == NULL || g_bytes_get_size (ci_pkid) == 0 ||
		    g_bytes_get_size (ci_pkid) > EIM_CI_PKID_MAX_LENGTH) {
			invalid_argument (error, "euiccCiPKId: must be 1 to %d bytes of hex",
			                  EIM_CI_PKID_MAX_LENGTH);
			return NULL;
		}
	}

	/* 30 { 80 eimId, 81 eimFqdn, 82 eimIdType, 83 counterValue, 84 associationToken,
	 *      A5 eimPublicKeyData, A6 trustedPublicKeyDataTls, 87 eimSupportedProtocol,
	 *      88 euiccCiPKId, 89 indirectProfileDownload }: DER keeps the module's order */
	esim_der_writer_begin (writer, ESIM_TAG_SEQUENCE);
	esim_der_writer_put_utf8 (writer, ESIM_TAG_EIM_CONFIG_ID, input->eim_id);
	if (input->fqdn != NULL)
		esim_der_writer_put_utf8 (writer, ESIM_TAG_EIM_CONFIG_FQDN, input->fqdn);
	if (input->id_type != -1)
		esim_der_writer_put_int (writer, ESIM_TAG_EIM_CONFIG_ID_TYPE, input->id_type);
	if (input->counter_value != -1)
		esim_der_writer_put_int (writer, ESIM_TAG_EIM_CONFIG_COUNTER, input->counter_value);
	if (input->has_association_token)
		esim_der_writer_put_int (writer, ESIM_TAG_EIM_CONFIG_ASSOCIATION_TOKEN,
		                         input->association_token);
	if (input->public_key != NULL &&
	    !put_key_data (writer, ESIM_TAG_EIM_CONFIG_PUBLIC_KEY_DATA, input->public_key,
	                   "eimPublicKeyData", error))
		return NULL;
	if (input->trusted_tls != NULL &&
	    !put_key_data (writer, ESIM_TAG_EIM_CONFIG_TRUSTED_TLS, input->trusted_tls,
	                   "trustedPublicKeyDataTls", error))
		return NULL;
	if (input->supported_protocols != 0)
		esim_der_writer_put_named_bits (writer, ESIM_TAG_EIM_CONFIG_PROTOCOLS,
		                                input->supported_protocols);
	if (ci_pkid != NULL)
		esim_der_writer_put_bytes (writer, ESIM_TAG_EIM_CONFIG_CI_PKID, ci_pkid);
	if (input->indirect_profile_download)
		esim_der_writer_put_null (writer, ESIM_TAG_EIM_CONFIG_INDIRECT_DOWNLOAD);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}
