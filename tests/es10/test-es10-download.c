/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The ES10b download encoders and parsers against bytes that did not come
 * from our code:
 *   - real cards: V10 (GetEuiccChallenge), V14 (a failed-install
 *     ProfileInstallationResult), V15 (an IoT IPA's deviceInfo) of
 *     shared/reference/vectors.md;
 *   - AOSP, which every Android phone runs against live SM-DP+s:
 *     LineageOS/android_frameworks_opt_telephony
 *     tests/telephonytests/…/uicc/euicc/EuiccPortTest.java ("AOSP" below);
 *   - iotivity/iotivity-lite port/linux/lpa.c (a StoreMetadataRequest sample);
 *   - elsewhere DER assembled by hand from the SGP.22 v2.5 ASN.1, with the tag
 *     reasoning next to it.  Lengths were checked with an independent DER walk.
 */

#include <string.h>

#include "esim-der.h"
#include "esim-es10-download.h"
#include "esim-util.h"

#define X4(b)  b b b b
#define X16(b) X4 (b) X4 (b) X4 (b) X4 (b)
#define X64(b) X16 (b) X16 (b) X16 (b) X16 (b)

/* V10: GetEuiccChallenge through AT+CGLA (real card) */
#define V10_CHALLENGE_RESPONSE "BF2E128010FDC5A60071053ABB4C0F91BC0620BCFD"
#define V10_INFO1                                                                              \
	"BF20358203020300A916041481370F5125D0B1D408D4C3B232E6D25E795BEBFBAA16041481370F5125D0" \
	"B1D408D4C3B232E6D25E795BEBFB"

/* V14: the BF37 inside the notificationsList (real card: ICCID already on the card) */
#define V14_PIR                                                                                \
	"BF378198BF27528010E0F1356728A44720B219A3B70C9DF57EBF2F2E800102810207800C197465737473" \
	"6D6470706C7573312E6578616D706C652E636F6D5A0A989444999999990930F1060388370AA208A10680" \
	"01028101095F37407FA95E72677338D953EE62395D7BCDC365BF217DFE6DAF315A98503F9DEF97103EAF" \
	"BA7EDB5E16621BA14061354A75390FF0E8332B26AC31C8E2C9FAA6C07358"

/* V15: deviceInfo of onomondo-ipa (IoT IPA), tac bytes 12345678, empty capabilities */
#define V15_DEVICE_INFO "3008800412345678A100"

/* AOSP testAuthenticateService_devCap: DeviceInfo (A1) with TAC 98765432 and
 * gsm 11, utran 11, cdma1x 1, hrpd 3, ehrpd 12, eutran 11; its IMEI octets
 * (last 10 hex) follow the SGP.22 v2.0 coding because the mocked card says
 * SVN 2.0.0, so only the part before them is compared. */
#define AOSP_DEVICE_INFO                                                                       \
	"A130800489674523A11E80030B000081030B00008203010000830303000084030C000085030B0000"    \
	"82088967452301214305"
#define AOSP_DEVICE_CAPS "A11E80030B000081030B00008203010000830303000084030C000085030B0000"

/* AOSP testLoadBoundProfilePackage: the package and the commands it became */
#define AOSP_BPP "BF361FBF2300A0058703010203A1058803040506A200A30A860307080986030A0B0C"
static const gchar *const aosp_bpp_segments[] = {
	"BF361FBF2300", "A0058703010203", "A105", "8803040506",
	"A200", "A30A", "8603070809", "86030A0B0C", NULL,
};

/* iotivity-lite lpa.c: StoreMetadataRequest { iccid, "ServiceProviderName",
 * "ProfileName", iconType jpg, icon 0000, profileClass operational } */
#define IOTIVITY_METADATA                                                                      \
	"BF25385A0A8901020304050607080991135365727669636550726F76696465724E616D65920B50726F66" \
	"696C654E616D6593010094020000950102"

/* Hand-assembled ServerSigned1: its members are tagged in the module ([0]
 * transactionId, [1] euiccChallenge, [3] serverAddress, [4] serverChallenge),
 * so 80 81 83 84. */
#define SERVER_SIGNED1                                                                         \
	"303B" "8003A1B2C3" "8110" X16 ("11")                                                  \
	"8310736D64702E6578616D706C652E636F6D" /* "smdp.example.com" */                        \
	"8410" X16 ("22")

/* Hand-assembled AuthenticateServerResponse, authenticateResponseOk:
 * the CHOICE has untagged alternatives, so automatic tags make it A0; the
 * SEQUENCE AuthenticateResponseOk has a tagged member (5F37), so its other
 * members keep their universal 30; EuiccSigned1 tags its own members
 * (80 transactionId, 83 serverAddress, 84 serverChallenge, BF22 euiccInfo2)
 * and ctxParams1 is the CHOICE whose alternative is automatic [0] = A0. */
#define AUTH_OK                                                                                \
	"BF3872A070" "3027" "8003A1B2C3" "8304736D6470" "8410" X16 ("22") "BF2203810100"      \
	"A0028000" "5F3740" X64 ("33") "3000" "3000"

/* Hand-assembled PrepareDownloadResponse, downloadResponseOk: A0 (automatic
 * CHOICE tag) { 30 euiccSigned2 { 80 transactionId, 5F49 euiccOtpk }, 5F37 } */
#define PREPARE_OK                                                                             \
	"BF218191A0818E" "3049" "8003A1B2C3" "5F494104" X64 ("11") "5F3740" X64 ("44")

/* Hand-assembled successful ProfileInstallationResult: BF37 { BF27 { 80 txid,
 * BF2F metadata { 80 seq 5, 81 install (bit 0: 07 80), 0C address, 5A iccid },
 * 06 smdpOid 2.999.10, A2 finalResult (explicit: a CHOICE) { A0 successResult
 * (automatic alternative [0]) { 4F aid, 04 simaResponse (universal: SuccessResult
 * has the tagged aid) } } }, 5F37 euiccSignPIR }.  The simaResponse is the
 * 9-byte success EUICCResponse SGP.32 names. */
#define PIR_OK                                                                                 \
	"BF37818DBF2747" "8003A1B2C3"                                                          \
	"BF2F19800105810207800C04736D64705A0A989444999999990930F1" "060388370A"                \
	"A21FA01D4F10A0000005591010FFFFFFFF8900001200" "04093007A0053003800100"                \
	"5F3740" X64 ("55")

/* Hand-assembled cancelSessionResponseOk: A0 (automatic CHOICE tag) {
 * 30 EuiccCancelSessionSigned (no tagged member: automatic 80 transactionId,
 * 81 smdpOid with OID contents, 82 reason), 5F37 } */
#define CANCEL_OK "BF4154A052300D8003A1B2C381038837" "0A820101" "5F3740" X64 ("66")

/* ---- helpers ---- */

static GBytes *
hex_bytes (const gchar *hex)
{
	g_autoptr(GError) error = NULL;
	GBytes *bytes = esim_hex_decode (hex, &error);

	g_assert_no_error (error);
	g_assert_nonnull (bytes);
	return bytes;
}

static void
assert_bytes_hex (GBytes *bytes, const gchar *expected)
{
	g_autofree gchar *hex = NULL;
	g_autoptr(GBytes) want = hex_bytes (expected);
	g_autofree gchar *want_hex = esim_hex_encode_bytes (want);

	g_assert_nonnull (bytes);
	hex = esim_hex_encode_bytes (bytes);
	g_assert_cmpstr (hex, ==, want_hex);
}

/* @error is set, in @domain/@code, and its message starts with @prefix. */
static void
assert_error (GError *error, GQuark domain, gint code, const gchar *prefix)
{
	g_assert_nonnull (error);
	if (error->domain != domain || error->code != code || !g_str_has_prefix (error->message, prefix))
		g_error ("unexpected error %s %d \"%s\", wanted %s %d \"%s…\"",
			 g_quark_to_string (error->domain), error->code, error->message,
			 g_quark_to_string (domain), code, prefix);
}

/* ---- GetEuiccChallenge, EUICCInfo1 ---- */

static void
test_get_euicc_challenge (void)
{
	g_autoptr(GBytes) request = esim_es10_encode_get_euicc_challenge ();
	g_autoptr(GBytes) response = hex_bytes (V10_CHALLENGE_RESPONSE);
	g_autoptr(GBytes) challenge = NULL;
	g_autoptr(GBytes) short_answer = hex_bytes (V10_CHALLENGE_RESPONSE "9000");
	g_autoptr(GBytes) aosp_answer = hex_bytes ("BF2E058003010203");
	g_autoptr(GError) error = NULL;

	/* V10 TX 81E2910003BF2E00 and AOSP testGetEuiccChallenge: BF2E 00 */
	assert_bytes_hex (request, "BF2E00");
	challenge = esim_es10_parse_get_euicc_challenge (response, &error);
	g_assert_no_error (error);
	assert_bytes_hex (challenge, "FDC5A60071053ABB4C0F91BC0620BCFD");

	/* AOSP mocks a 3-byte challenge; euiccChallenge is Octet16 */
	g_clear_pointer (&challenge, g_bytes_unref);
	challenge = esim_es10_parse_get_euicc_challenge (aosp_answer, &error);
	g_assert_null (challenge);
	assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_VALUE, "GetEuiccChallenge: ");
	g_clear_error (&error);
	/* with the status word left on: trailing data */
	challenge = esim_es10_parse_get_euicc_challenge (short_answer, &error);
	g_assert_null (challenge);
	assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_TRAILING_DATA, "GetEuiccChallenge: ");
	g_clear_error (&error);
	challenge = esim_es10_parse_get_euicc_challenge (NULL, &error);
	g_assert_null (challenge);
	assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING, "GetEuiccChallenge: ");
}

static void
test_euicc_info1_raw (void)
{
	/* ES9+ initiateAuthentication sends the BF20 the card gave, unchanged */
	g_autoptr(GBytes) response = hex_bytes (V10_INFO1);
	g_autoptr(EsimEuiccInfo1) info = NULL;
	g_autoptr(GError) error = NULL;

	info = esim_es10_parse_euicc_info1 (response, &error);
	g_assert_no_error (error);
	g_assert_true (g_bytes_equal (info->raw, response));
}

/* ---- DeviceInfo ---- */

static void
test_device_info_v15 (void)
{
	EsimDeviceInfo info;
	g_autoptr(GBytes) encoded = NULL;
	g_autoptr(GError) error = NULL;

	/* V15 carries the octets 12 34 56 78: in TBCD (low nibble first) those
	 * are the digits 21436587; no capabilities, no IMEI */
	esim_device_info_init (&info);
	info.tac = "21436587";
	encoded = esim_device_info_encode (&info, ESIM_TAG_SEQUENCE, &error);
	g_assert_no_error (error);
	assert_bytes_hex (encoded, V15_DEVICE_INFO);
}

static void
test_device_info_aosp (void)
{
	EsimDeviceInfo info;
	g_autoptr(GBytes) encoded = NULL;
	g_autoptr(GBytes) imei_only = NULL;
	g_autoptr(GBytes) aosp = hex_bytes (AOSP_DEVICE_INFO);
	g_autoptr(GError) error = NULL;
	gsize len = 0;
	const guint8 *data;

	esim_device_info_init (&info);
	info.tac = "98765432";
	info.imei = "987654321012345";
	info.releases[ESIM_DEVICE_CAP_GSM] = 11;
	info.releases[ESIM_DEVICE_CAP_UTRAN] = 11;
	info.releases[ESIM_DEVICE_CAP_CDMA2000_1X] = 1;
	info.releases[ESIM_DEVICE_CAP_CDMA2000_HRPD] = 3;
	info.releases[ESIM_DEVICE_CAP_CDMA2000_EHRPD] = 12;
	info.releases[ESIM_DEVICE_CAP_EUTRAN_EPC] = 11;
	encoded = esim_device_info_encode (&info, ESIM_TAG_CTX_DEVICE_INFO, &error);
	g_assert_no_error (error);
	/* everything up to the IMEI's last octet is AOSP's, byte for byte */
	data = g_bytes_get_data (encoded, &len);
	g_assert_cmpuint (len, ==, g_bytes_get_size (aosp));
	g_assert_cmpmem (data, len - 1, g_bytes_get_data (aosp, NULL), len - 1);
	/* … and that octet follows SGP.22 v2.1+: check digit 5, then F */
	g_assert_cmphex (data[len - 1], ==, 0x5F);

	/* AOSP testGetDeviceId, v2.1+: 123456789012345 -> 21 43 65 87 09 21 43 5F;
	 * without a TAC of its own the device's TAC is the IMEI's first 8 digits */
	esim_device_info_init (&info);
	info.imei = "123456789012345";
	imei_only = esim_device_info_encode (&info, ESIM_TAG_SEQUENCE, &error);
	g_assert_no_error (error);
	assert_bytes_hex (imei_only, "3012" "800421436587" "A100" "8208214365870921435F");
}

static void
test_device_info_defaults (void)
{
	EsimDeviceInfo info;
	g_autoptr(GBytes) encoded = NULL;
	g_autoptr(GBytes) radios = NULL;
	g_autoptr(GError) error = NULL;

	/* no TAC known: all zeros, nothing declared */
	esim_device_info_init (&info);
	encoded = esim_device_info_encode (&info, ESIM_TAG_CTX_DEVICE_INFO, &error);
	g_assert_no_error (error);
	assert_bytes_hex (encoded, "A108" "800400000000" "A100");

	/* an LTE + NR modem: eutranEpc [5] release 8, nr5gc [9] release 15 */
	esim_device_info_declare_radios (&info, ESIM_DEVICE_RADIO_LTE | ESIM_DEVICE_RADIO_NR);
	radios = esim_device_info_encode (&info, ESIM_TAG_CTX_DEVICE_INFO, &error);
	g_assert_no_error (error);
	assert_bytes_hex (radios, "A112" "800400000000" "A10A" "8503080000" "89030F0000");
}

static void
test_device_info_refused (void)
{
	const struct {
		const gchar *tac;
		const gchar *imei;
	} cases[] = {
		{ "1234567", NULL },            /* 7 digits */
		{ "123456789", NULL },          /* 9 digits */
		{ "1234567A", NULL },
		{ "12345678", "12345678901234" },   /* 14 digits */
		{ "12345678", "1234567890123456" }, /* 16: an IMEISV is not an IMEI */
		{ "12345678", "99345678901234A" },
		{ "12345678", "999999999999999" },  /* does not start with the TAC */
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		EsimDeviceInfo info;
		g_autoptr(GBytes) encoded = NULL;
		g_autoptr(GError) error = NULL;

		esim_device_info_init (&info);
		info.tac = cases[i].tac;
		info.imei = cases[i].imei;
		encoded = esim_device_info_encode (&info, ESIM_TAG_SEQUENCE, &error);
		g_assert_null (encoded);
		assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "deviceInfo: ");
	}
}

/* ---- ServerSigned1, SmdpSigned2, StoreMetadataRequest ---- */

static void
test_server_signed1 (void)
{
	g_autoptr(GBytes) bytes = hex_bytes (SERVER_SIGNED1);
	g_autoptr(EsimServerSigned1) s = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *bad[] = {
		/* euiccChallenge of 15 bytes */
		"303A8003A1B2C3810F" "1111111111111111111111111111118310736D64702E6578616D706C652E636F6D"
		"8410" X16 ("22"),
		/* serverAddress missing */
		"30298003A1B2C38110" X16 ("11") "8410" X16 ("22"),
		/* transactionId of 17 bytes */
		"30498011" X16 ("AB") "AB8110" X16 ("11") "8310736D64702E6578616D706C652E636F6D"
		"8410" X16 ("22"),
		/* an A0 where the SEQUENCE belongs (AOSP's placeholder) */
		"A000",
	};

	s = esim_es10_parse_server_signed1 (bytes, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (s->transaction_id, ==, "A1B2C3");
	assert_bytes_hex (s->euicc_challenge, X16 ("11"));
	g_assert_cmpstr (s->server_address, ==, "smdp.example.com");
	assert_bytes_hex (s->server_challenge, X16 ("22"));

	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GBytes) input = hex_bytes (bad[i]);
		g_autoptr(EsimServerSigned1) r = NULL;
		g_autoptr(GError) e = NULL;

		r = esim_es10_parse_server_signed1 (input, &e);
		g_assert_null (r);
		g_assert_true (e != NULL && e->domain == ESIM_DER_ERROR);
		g_assert_true (g_str_has_prefix (e->message, "ServerSigned1: "));
	}
}

static void
test_smdp_signed2 (void)
{
	/* SmdpSigned2 has the tagged transactionId [0], so ccRequiredFlag keeps
	 * its universal BOOLEAN 01 and bppEuiccOtpk is [APPLICATION 73] 5F49 */
	g_autoptr(GBytes) plain = hex_bytes ("30088003A1B2C3010100");
	g_autoptr(GBytes) cc = hex_bytes ("300D8003A1B2C30101FF5F4902AAAA");
	g_autoptr(GBytes) no_flag = hex_bytes ("30058003A1B2C3");
	g_autoptr(EsimSmdpSigned2) s = NULL;
	g_autoptr(GError) error = NULL;

	s = esim_es10_parse_smdp_signed2 (plain, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (s->transaction_id, ==, "A1B2C3");
	g_assert_false (s->cc_required);
	g_assert_false (s->has_bpp_euicc_otpk);
	g_clear_pointer (&s, esim_smdp_signed2_free);

	s = esim_es10_parse_smdp_signed2 (cc, &error);
	g_assert_no_error (error);
	g_assert_true (s->cc_required);
	g_assert_true (s->has_bpp_euicc_otpk);
	g_clear_pointer (&s, esim_smdp_signed2_free);

	s = esim_es10_parse_smdp_signed2 (no_flag, &error);
	g_assert_null (s);
	assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING, "SmdpSigned2: ccRequiredFlag");
}

static void
test_profile_metadata (void)
{
	g_autoptr(GBytes) iotivity = hex_bytes (IOTIVITY_METADATA);
	/* hand-assembled: StoreMetadataRequest tags its members itself (5A 91 92
	 * 95 B6 99); notificationConfigurationInfo [22] is B6, a SEQUENCE OF
	 * NotificationConfigurationInformation whose members are untagged, so
	 * automatic 80 (NotificationEvent: 07 80 = install) and 81 (address);
	 * profilePolicyRules 99 02 06 40 = ppr1 */
	g_autoptr(GBytes) full = hex_bytes ("BF25315A0A989444999999990930F191034F70319204" "50726F66"
					    "950102" "B611300F80020780" "8109736D64702E74657374"
					    "99020640");
	g_autoptr(GBytes) no_name = hex_bytes ("BF25115A0A89010203040506070809910353504E");
	g_autoptr(EsimProfileMetadata) m = NULL;
	g_autoptr(GError) error = NULL;
	EsimNotificationConfig *config;

	m = esim_es10_parse_profile_metadata (iotivity, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (m->iccid, ==, "98102030405060708090");
	g_assert_cmpstr (m->service_provider, ==, "ServiceProviderName");
	g_assert_cmpstr (m->name, ==, "ProfileName");
	g_assert_cmpint (m->icon_type, ==, 0);
	g_assert_cmpint (m->profile_class, ==, ESIM_PROFILE_CLASS_OPERATIONAL);
	g_assert_cmpuint (m->notification_configs->len, ==, 0);
	g_assert_true (g_bytes_equal (m->raw, iotivity));
	g_clear_pointer (&m, esim_profile_metadata_free);

	m = esim_es10_parse_profile_metadata (full, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (m->iccid, ==, "8949449999999990031");
	g_assert_cmpstr (m->service_provider, ==, "Op1");
	g_assert_cmpstr (m->name, ==, "Prof");
	g_assert_cmpint (m->icon_type, ==, -1);
	g_assert_cmpint (m->profile_class, ==, ESIM_PROFILE_CLASS_OPERATIONAL);
	g_assert_cmpuint (m->ppr_ids, ==, 1u << 1);
	g_assert_cmpuint (m->notification_configs->len, ==, 1);
	config = g_ptr_array_index (m->notification_configs, 0);
	g_assert_cmpuint (config->events, ==, ESIM_NOTIFICATION_INSTALL);
	g_assert_cmpstr (config->address, ==, "smdp.test");
	g_clear_pointer (&m, esim_profile_metadata_free);

	m = esim_es10_parse_profile_metadata (no_name, &error);
	g_assert_null (m);
	assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING, "StoreMetadataRequest: ");
}

/* ---- AuthenticateServer ---- */

static void
test_authenticate_server_encode (void)
{
	g_autoptr(GBytes) signed1 = hex_bytes ("3003800101");
	g_autoptr(GBytes) signature1 = hex_bytes ("5F3702AABB");
	g_autoptr(GBytes) pkid = hex_bytes ("0402CCDD");
	g_autoptr(GBytes) certificate = hex_bytes ("3000");
	g_autoptr(GBytes) request = NULL;
	g_autoptr(GBytes) no_id = NULL;
	g_autoptr(GBytes) empty_id = NULL;
	g_autoptr(GError) error = NULL;
	EsimDeviceInfo info;
	EsimAuthenticateServerInput input = {
		.server_signed1 = signed1,
		.server_signature1 = signature1,
		.euicc_ci_pkid_to_be_used = pkid,
		.server_certificate = certificate,
		.matching_id = "A1B2C3-X4Y5Z6",
		.device_info = &info,
	};

	esim_device_info_init (&info);
	info.tac = "98765432";
	info.releases[ESIM_DEVICE_CAP_GSM] = 11;
	info.releases[ESIM_DEVICE_CAP_UTRAN] = 11;
	info.releases[ESIM_DEVICE_CAP_CDMA2000_1X] = 1;
	info.releases[ESIM_DEVICE_CAP_CDMA2000_HRPD] = 3;
	info.releases[ESIM_DEVICE_CAP_CDMA2000_EHRPD] = 12;
	info.releases[ESIM_DEVICE_CAP_EUTRAN_EPC] = 11;

	/* BF38 { the four server TLVs unchanged, in definition order; then
	 * ctxParams1 = A0 { 80 matchingId, A1 deviceInfo { 80 tac, A1 caps } } }.
	 * The request has a tagged member (5F37), so no automatic tags at its
	 * level; the CHOICE CtxParams1 and the SEQUENCEs below it have none, so
	 * automatic [0] [1] [2] (AOSP builds the same shape). */
	request = esim_es10_encode_authenticate_server (&input, &error);
	g_assert_no_error (error);
	assert_bytes_hex (request, "BF3849" "3003800101" "5F3702AABB" "0402CCDD" "3000"
				   "A037" "800D4131423243332D583459355A36"
				   "A126" "800489674523" AOSP_DEVICE_CAPS);

	/* no matching ID: 80 left out; empty: 80 00 */
	input.matching_id = NULL;
	input.device_info = NULL;
	no_id = esim_es10_encode_authenticate_server (&input, &error);
	g_assert_no_error (error);
	assert_bytes_hex (no_id, "BF381C3003800101" "5F3702AABB0402CCDD3000"
				 "A00A" "A108800400000000A100");
	input.matching_id = "";
	empty_id = esim_es10_encode_authenticate_server (&input, &error);
	g_assert_no_error (error);
	assert_bytes_hex (empty_id, "BF381E3003800101" "5F3702AABB0402CCDD3000"
				    "A00C" "8000" "A108800400000000A100");

	/* the eIM's ctxParams1 (eimCtxParams1Generation) goes as it came */
	{
		g_autoptr(GBytes) ctx = hex_bytes ("A0078003454D49A100");
		g_autoptr(GBytes) from_eim = NULL;
		g_autoptr(GBytes) wrong_tag = hex_bytes ("A1028000");

		input.ctx_params1 = ctx;
		from_eim = esim_es10_encode_authenticate_server (&input, &error);
		g_assert_no_error (error);
		assert_bytes_hex (from_eim, "BF38193003800101" "5F3702AABB0402CCDD3000"
					    "A0078003454D49A100");
		input.ctx_params1 = wrong_tag;
		g_assert_null (esim_es10_encode_authenticate_server (&input, &error));
		assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			      "AuthenticateServer: ctxParams1");
	}
}

static void
test_authenticate_server_refused_input (void)
{
	g_autoptr(GBytes) good30 = hex_bytes ("3000");
	g_autoptr(GBytes) sig = hex_bytes ("5F3702AABB");
	g_autoptr(GBytes) pkid = hex_bytes ("0402CCDD");
	g_autoptr(GBytes) aosp_placeholder = hex_bytes ("A000");
	g_autoptr(GBytes) trailing = hex_bytes ("30009000");
	g_autoptr(GBytes) truncated = hex_bytes ("3005800101");
	GBytes *bad_signed1[] = { aosp_placeholder, trailing, truncated, NULL };
	EsimDeviceInfo bad_info;

	for (guint i = 0; i < G_N_ELEMENTS (bad_signed1); i++) {
		EsimAuthenticateServerInput input = {
			.server_signed1 = bad_signed1[i],
			.server_signature1 = sig,
			.euicc_ci_pkid_to_be_used = pkid,
			.server_certificate = good30,
		};
		g_autoptr(GBytes) request = NULL;
		g_autoptr(GError) error = NULL;

		request = esim_es10_encode_authenticate_server (&input, &error);
		g_assert_null (request);
		assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			      "AuthenticateServer: serverSigned1");
	}

	/* the signature where the key identifier belongs */
	{
		EsimAuthenticateServerInput input = {
			.server_signed1 = good30,
			.server_signature1 = sig,
			.euicc_ci_pkid_to_be_used = sig,
			.server_certificate = good30,
		};
		g_autoptr(GBytes) request = NULL;
		g_autoptr(GError) error = NULL;

		request = esim_es10_encode_authenticate_server (&input, &error);
		g_assert_null (request);
		assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			      "AuthenticateServer: euiccCiPKIdToBeUsed");
	}

	/* a bad TAC stops the request too */
	esim_device_info_init (&bad_info);
	bad_info.tac = "TAC";
	{
		EsimAuthenticateServerInput input = {
			.server_signed1 = good30,
			.server_signature1 = sig,
			.euicc_ci_pkid_to_be_used = pkid,
			.server_certificate = good30,
			.device_info = &bad_info,
		};
		g_autoptr(GBytes) request = NULL;
		g_autoptr(GError) error = NULL;

		request = esim_es10_encode_authenticate_server (&input, &error);
		g_assert_null (request);
		assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
			      "AuthenticateServer: deviceInfo: ");
	}
}

static void
test_authenticate_server_ok (void)
{
	g_autoptr(GBytes) response = hex_bytes (AUTH_OK);
	g_autoptr(EsimAuthenticateServerOk) ok = NULL;
	g_autoptr(GBytes) error_response = NULL;
	g_autoptr(GError) error = NULL;

	ok = esim_es10_parse_authenticate_server (response, &error_response, &error);
	g_assert_no_error (error);
	g_assert_null (error_response);
	g_assert_cmpstr (ok->transaction_id, ==, "A1B2C3");
	g_assert_cmpstr (ok->server_address, ==, "smdp");
	/* the whole BF38 goes to authenticateClient as it came */
	g_assert_true (g_bytes_equal (ok->raw, response));
}

static void
test_authenticate_server_errors (void)
{
	const struct {
		const gchar *response;
		gint	     code;
		const gchar *message;
	} cases[] = {
		/* AOSP testAuthenticateServer_Error: A1 { 02 01 03 }, no transactionId */
		{ "BF3805A103020103", ESIM_ES10_ERROR_CERTIFICATE,
		  "AuthenticateServer: unsupportedCurve (3)" },
		/* AuthenticateResponseError has the tagged transactionId [0], so the
		 * code keeps its universal INTEGER 02 */
		{ "BF3808A106800101020107", ESIM_ES10_ERROR_CERTIFICATE,
		  "AuthenticateServer: ciPKUnknown (7), transaction 01" },
		{ "BF3808A106800101020106", ESIM_ES10_ERROR_VERIFICATION_FAILED,
		  "AuthenticateServer: euiccChallengeMismatch (6), transaction 01" },
		{ "BF3808A106800101020104", ESIM_ES10_ERROR_NO_SESSION,
		  "AuthenticateServer: noSessionContext (4)" },
		{ "BF3808A10680010102017F", ESIM_ES10_ERROR_UNDEFINED,
		  "AuthenticateServer: undefinedError (127)" },
		{ "BF3808A106800101020100", ESIM_ES10_ERROR_UNDEFINED,
		  "AuthenticateServer: unknown error code (0)" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr(GBytes) response = hex_bytes (cases[i].response);
		g_autoptr(GBytes) error_response = NULL;
		g_autoptr(EsimAuthenticateServerOk) ok = NULL;
		g_autoptr(GError) error = NULL;

		ok = esim_es10_parse_authenticate_server (response, &error_response, &error);
		g_assert_null (ok);
		assert_error (error, ESIM_ES10_ERROR, cases[i].code, cases[i].message);
		/* the card's error answer, as it came, for the server */
		g_assert_true (g_bytes_equal (error_response, response));
	}
}

static void
test_authenticate_server_malformed (void)
{
	const gchar *cases[] = {
		"BF3800",                   /* empty CHOICE */
		"BF3804A2023000",           /* SGP.32 compact form: built by IPAs, not cards */
		"BF3802A300",               /* unknown alternative */
		"BF3804A1028001",           /* truncated */
		"BF3805A103800101",         /* error without a code */
		"BF3802A000",               /* AOSP's stub "ok": no euiccSigned1 */
		"BF2102A000",               /* another function's answer */
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr(GBytes) response = hex_bytes (cases[i]);
		g_autoptr(GBytes) error_response = NULL;
		g_autoptr(EsimAuthenticateServerOk) ok = NULL;
		g_autoptr(GError) error = NULL;

		ok = esim_es10_parse_authenticate_server (response, &error_response, &error);
		g_assert_null (ok);
		g_assert_null (error_response);
		g_assert_true (error != NULL && error->domain == ESIM_DER_ERROR);
		g_assert_true (g_str_has_prefix (error->message, "AuthenticateServer: "));
	}
}

/* ---- PrepareDownload ---- */

static void
test_hash_cc (void)
{
	g_autoptr(GBytes) hash = NULL;
	g_autoptr(GBytes) hash_v14 = NULL;
	g_autoptr(GError) error = NULL;

	/* computed independently: python3 hashlib,
	 * sha256(sha256(b"1234").digest() + bytes.fromhex("A1B2C3")) */
	hash = esim_es10_compute_hash_cc ("1234", "A1B2C3", &error);
	g_assert_no_error (error);
	assert_bytes_hex (hash, "F38064BBE85CEBFA8287283BDE858396C4B88D0771CDB61676A9E20064590699");
	/* the same with V14's 16-byte transaction ID */
	hash_v14 = esim_es10_compute_hash_cc ("1234", "E0F1356728A44720B219A3B70C9DF57E", &error);
	g_assert_no_error (error);
	assert_bytes_hex (hash_v14,
			  "75AED2DEF1F9CE48329F455C9CD812FA7DB2092A01BD508F2021AEDFB2B8D5F5");

	g_assert_null (esim_es10_compute_hash_cc ("1234", "XYZ", &error));
	assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "hashCc: ");
	g_clear_error (&error);
	g_assert_null (esim_es10_compute_hash_cc ("1234", X16 ("AB") "AB", &error));
	assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "hashCc: ");
	g_clear_error (&error);
	g_assert_null (esim_es10_compute_hash_cc ("", "A1B2C3", &error));
	assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "hashCc: ");
}

static void
test_prepare_download_encode (void)
{
	g_autoptr(GBytes) signed2_cc = hex_bytes ("30088003A1B2C30101FF");
	g_autoptr(GBytes) signed2 = hex_bytes ("30088003A1B2C3010100");
	g_autoptr(GBytes) signature2 = hex_bytes ("5F3702AABB");
	g_autoptr(GBytes) certificate = hex_bytes ("3000");
	g_autoptr(GBytes) hash = NULL;
	g_autoptr(GBytes) short_hash = hex_bytes ("4131423243332D583459355A36");
	g_autoptr(GBytes) request = NULL;
	g_autoptr(GBytes) plain = NULL;
	g_autoptr(GError) error = NULL;
	EsimPrepareDownloadInput input = {
		.smdp_signed2 = signed2_cc,
		.smdp_signature2 = signature2,
		.smdp_certificate = certificate,
	};

	hash = esim_es10_compute_hash_cc ("1234", "A1B2C3", &error);
	g_assert_no_error (error);

	/* the SM-DP+ wants a code and none was given: refused before the card */
	g_assert_null (esim_es10_encode_prepare_download (&input, &error));
	assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		      "PrepareDownload: the SM-DP+ requires a confirmation code");
	g_clear_error (&error);

	/* PrepareDownloadRequest has a tagged member (5F37), so no automatic
	 * tags: hashCc is a universal OCTET STRING 04, between smdpSignature2 and
	 * smdpCertificate (AOSP testPrepareDownload: A000 A100 04.. A200) */
	input.hash_cc = hash;
	request = esim_es10_encode_prepare_download (&input, &error);
	g_assert_no_error (error);
	assert_bytes_hex (request, "BF2133" "30088003A1B2C30101FF" "5F3702AABB"
				   "0420F38064BBE85CEBFA8287283BDE858396C4B88D0771CDB61676A9E20064590699"
				   "3000");

	input.smdp_signed2 = signed2;
	input.hash_cc = NULL;
	plain = esim_es10_encode_prepare_download (&input, &error);
	g_assert_no_error (error);
	assert_bytes_hex (plain, "BF2111" "30088003A1B2C3010100" "5F3702AABB" "3000");

	/* AOSP passes a 13-byte value; hashCc is Octet32 */
	input.hash_cc = short_hash;
	g_assert_null (esim_es10_encode_prepare_download (&input, &error));
	assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "PrepareDownload: hashCc");
	g_clear_error (&error);

	/* a certificate that is no single SEQUENCE */
	input.hash_cc = NULL;
	input.smdp_certificate = signature2;
	g_assert_null (esim_es10_encode_prepare_download (&input, &error));
	assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		      "PrepareDownload: smdpCertificate");
}

static void
test_prepare_download_parse (void)
{
	const struct {
		const gchar *response;
		gint	     code;
		const gchar *message;
	} errors[] = {
		/* AOSP testPrepareDownload_Error */
		{ "BF2105A103020103", ESIM_ES10_ERROR_CERTIFICATE,
		  "PrepareDownload: unsupportedCurve (3)" },
		{ "BF2108A106800101020105", ESIM_ES10_ERROR_NO_SESSION,
		  "PrepareDownload: invalidTransactionId (5), transaction 01" },
		{ "BF2108A106800101020102", ESIM_ES10_ERROR_VERIFICATION_FAILED,
		  "PrepareDownload: invalidSignature (2)" },
	};
	g_autoptr(GBytes) response = hex_bytes (PREPARE_OK);
	g_autoptr(GBytes) no_otpk = hex_bytes ("BF2111A00F30058003A1B2C35F3705" "0102030405");
	g_autoptr(EsimPrepareDownloadOk) ok = NULL;
	g_autoptr(GError) error = NULL;

	ok = esim_es10_parse_prepare_download (response, NULL, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (ok->transaction_id, ==, "A1B2C3");
	g_assert_true (g_bytes_equal (ok->raw, response));
	g_clear_pointer (&ok, esim_prepare_download_ok_free);

	ok = esim_es10_parse_prepare_download (no_otpk, NULL, &error);
	g_assert_null (ok);
	assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING, "PrepareDownload: euiccOtpk");
	g_clear_error (&error);

	for (guint i = 0; i < G_N_ELEMENTS (errors); i++) {
		g_autoptr(GBytes) answer = hex_bytes (errors[i].response);
		g_autoptr(GBytes) error_response = NULL;
		g_autoptr(GError) e = NULL;

		ok = esim_es10_parse_prepare_download (answer, &error_response, &e);
		g_assert_null (ok);
		assert_error (e, ESIM_ES10_ERROR, errors[i].code, errors[i].message);
		g_assert_true (g_bytes_equal (error_response, answer));
	}
}

/* ---- BoundProfilePackage segments ---- */

static void
assert_segments (GPtrArray *segments, const gchar *const *expected)
{
	g_assert_nonnull (segments);
	g_assert_cmpuint (segments->len, ==, g_strv_length ((gchar **) expected));
	for (guint i = 0; i < segments->len; i++)
		assert_bytes_hex (g_ptr_array_index (segments, i), expected[i]);
}

static void
test_bpp_segments_aosp (void)
{
	g_autoptr(GBytes) bpp = hex_bytes (AOSP_BPP);
	g_autoptr(GBytes) without_a2 = hex_bytes ("BF361DBF2300A0058703010203A1058803040506"
						  "A30A860307080986030A0B0C");
	g_autoptr(GPtrArray) segments = NULL;
	g_autoptr(GPtrArray) segments2 = NULL;
	const gchar *const without_a2_segments[] = {
		"BF361DBF2300", "A0058703010203", "A105", "8803040506", "A30A", "8603070809",
		"86030A0B0C", NULL,
	};
	g_autoptr(GError) error = NULL;

	segments = esim_es10_segment_bound_profile_package (bpp, &error);
	g_assert_no_error (error);
	assert_segments (segments, aosp_bpp_segments);
	g_assert_cmpuint (esim_es10_store_data_minimum (segments), ==, 8);
	/* the segments are slices of the package, not copies */
	g_assert_true ((const guint8 *) g_bytes_get_data (g_ptr_array_index (segments, 0), NULL) ==
		       (const guint8 *) g_bytes_get_data (bpp, NULL));

	segments2 = esim_es10_segment_bound_profile_package (without_a2, &error);
	g_assert_no_error (error);
	assert_segments (segments2, without_a2_segments);
}

/* A package with one 86 of @n bytes, BF23 and A0/A1 as AOSP's. */
static GBytes *
bpp_with_big_element (gsize n)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autofree guint8 *element = g_malloc0 (n);
	const guint8 body[] = { 0xBF, 0x23, 0x00, 0xA0, 0x05, 0x87, 0x03, 0x01, 0x02, 0x03,
				0xA1, 0x05, 0x88, 0x03, 0x04, 0x05, 0x06 };

	esim_der_writer_begin (writer, ESIM_TAG_BOUND_PROFILE_PACKAGE);
	esim_der_writer_put_raw (writer, body, sizeof (body));
	esim_der_writer_begin (writer, ESIM_TAG_BPP_PROFILE_ELEMENTS_LIST);
	esim_der_writer_put (writer, ESIM_TAG_BPP_LOAD_PROFILE_ELEMENTS, element, n);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

static void
test_bpp_segments_sizes (void)
{
	g_autoptr(GBytes) big = bpp_with_big_element (600);
	g_autoptr(GBytes) too_big = bpp_with_big_element (256 * 255);
	g_autoptr(GPtrArray) segments = NULL;
	g_autoptr(GPtrArray) refused = NULL;
	g_autoptr(GError) error = NULL;

	/* 86 82 0258 + 600 bytes = 604: 3 STORE DATA; A3 82 025C: 1 */
	segments = esim_es10_segment_bound_profile_package (big, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (segments->len, ==, 6);
	g_assert_cmpuint (g_bytes_get_size (g_ptr_array_index (segments, 5)), ==, 604);
	g_assert_cmpuint (esim_es10_store_data_minimum (segments), ==, 5 + 3);

	/* one segment more than 256 blocks of 255 bytes: EsimIsdr could not send it */
	refused = esim_es10_segment_bound_profile_package (too_big, &error);
	g_assert_null (refused);
	assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_LENGTH, "BoundProfilePackage: ");
}

static void
test_bpp_too_many_segments (void)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) bpp = NULL;
	g_autoptr(GPtrArray) segments = NULL;
	g_autoptr(GError) error = NULL;
	const guint8 body[] = { 0xBF, 0x23, 0x00, 0xA0, 0x02, 0x87, 0x00, 0xA1, 0x02, 0x88, 0x00 };

	esim_der_writer_begin (writer, ESIM_TAG_BOUND_PROFILE_PACKAGE);
	esim_der_writer_put_raw (writer, body, sizeof (body));
	esim_der_writer_begin (writer, ESIM_TAG_BPP_PROFILE_ELEMENTS_LIST);
	for (guint i = 0; i < ESIM_BPP_MAX_SEGMENTS; i++)
		esim_der_writer_put (writer, ESIM_TAG_BPP_LOAD_PROFILE_ELEMENTS, NULL, 0);
	esim_der_writer_end (writer);
	esim_der_writer_end (writer);
	bpp = esim_der_writer_finish (writer);

	segments = esim_es10_segment_bound_profile_package (bpp, &error);
	g_assert_null (segments);
	assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_BAD_LENGTH,
		      "BoundProfilePackage: more than 4096 segments");
}

static void
test_bpp_malformed (void)
{
	const struct {
		const gchar *bpp;
		const gchar *why;
	} cases[] = {
		/* AOSP testLoadBoundProfilePackage_NoProfileElements (SGP.23 4.4.25.2.1_03) */
		{ "BF3615BF2300A0058703010203A1058803040506A200A300", "holds no 86" },
		/* AOSP testLoadBoundProfilePackage_UnrecognizedTag (SGP.23 4.4.25.2.1_05) */
		{ "BF3621BF2300A0058703010203A1058803040506A200A30A860307080986030A0B0CA400",
		  "unexpected member A4 after the last one" },
		/* A1 before A0 */
		{ "BF361FBF2300A1058803040506A0058703010203A200A30A860307080986030A0B0C",
		  "unexpected member A1 where A0 belongs" },
		/* BF23 not first */
		{ "BF361FA0058703010203BF2300A1058803040506A200A30A860307080986030A0B0C",
		  "unexpected member A0 where BF23 belongs" },
		/* an 88 inside A0 */
		{ "BF361FBF2300A0058803010203A1058803040506A200A30A860307080986030A0B0C",
		  "A0 holds 88, expected only 87" },
		/* an 87 among the 86 */
		{ "BF361FBF2300A0058703010203A1058803040506A200A30A860307080987030A0B0C",
		  "A3 holds 87" },
		/* a package cut short */
		{ "BF361AA0" "00", "" },
		/* A1 without 88 */
		{ "BF361ABF2300A0058703010203A100A200A30A860307080986030A0B0C", "A1 holds no 88" },
		/* A3 missing */
		{ "BF3613BF2300A0058703010203A1058803040506A200", "member A3 missing" },
		/* A1 twice */
		{ "BF3624BF2300A0058703010203A1058803040506A1058803040506A30A860307080986030A0B0C",
		  "unexpected member A1 where A3 belongs" },
		/* truncated item inside A3 (lengths of the lists still add up) */
		{ "BF361FBF2300A0058703010203A1058803040506A200A30A860407080986030A0B0C", "A3: " },
		/* trailing bytes after BF36 */
		{ AOSP_BPP "00", "" },
		/* not a package */
		{ "BF3700", "" },
		{ "", "" },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr(GBytes) bpp = hex_bytes (cases[i].bpp);
		g_autoptr(GPtrArray) segments = NULL;
		g_autoptr(GError) error = NULL;

		segments = esim_es10_segment_bound_profile_package (bpp, &error);
		if (segments != NULL)
			g_error ("case %u (%s) was accepted", i, cases[i].bpp);
		g_assert_true (error != NULL && error->domain == ESIM_DER_ERROR);
		g_assert_true (g_str_has_prefix (error->message, "BoundProfilePackage: "));
		if (strstr (error->message, cases[i].why) == NULL)
			g_error ("case %u: \"%s\" does not say \"%s\"", i, error->message,
				 cases[i].why);
	}
}

/* ---- ProfileInstallationResult ---- */

static void
test_pir_v14 (void)
{
	g_autoptr(GBytes) response = hex_bytes (V14_PIR);
	g_autoptr(EsimProfileInstallationResult) r = NULL;
	g_autoptr(GError) error = NULL;

	r = esim_es10_parse_profile_installation_result (response, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (r->transaction_id, ==, "E0F1356728A44720B219A3B70C9DF57E");
	g_assert_cmpuint (r->meta.seq_number, ==, 2);
	g_assert_cmpuint (r->meta.events, ==, ESIM_NOTIFICATION_INSTALL);
	g_assert_cmpstr (r->meta.address, ==, "testsmdpplus1.example.com");
	g_assert_cmpstr (r->meta.iccid, ==, "8949449999999990031");
	/* 06 03 88 37 0A: first arc 0x88 0x37 = 1079 = 2 * 40 + 999 */
	g_assert_cmpstr (r->smdp_oid, ==, "2.999.10");
	g_assert_false (r->success);
	g_assert_null (r->isdp_aid);
	g_assert_cmpint (r->bpp_command_id, ==, ESIM_BPP_COMMAND_STORE_METADATA);
	g_assert_cmpint (r->error_reason, ==, 9);
	g_assert_null (r->sima_response);
	g_assert_true (g_bytes_equal (r->raw, response));

	g_assert_false (esim_profile_installation_result_check (r, &error));
	assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_ALREADY_EXISTS,
		      "LoadBoundProfilePackage: installFailedDueToIccidAlreadyExistsOnEuicc (9) "
		      "in storeMetadata (2)");
}

static void
test_pir_success (void)
{
	g_autoptr(GBytes) response = hex_bytes (PIR_OK);
	g_autoptr(EsimProfileInstallationResult) r = NULL;
	g_autoptr(GError) error = NULL;

	r = esim_es10_parse_profile_installation_result (response, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (r->transaction_id, ==, "A1B2C3");
	g_assert_cmpuint (r->meta.seq_number, ==, 5);
	g_assert_cmpstr (r->meta.address, ==, "smdp");
	g_assert_true (r->success);
	g_assert_cmpstr (r->isdp_aid, ==, "A0000005591010FFFFFFFF8900001200");
	assert_bytes_hex (r->sima_response, "3007A0053003800100");
	g_assert_cmpint (r->bpp_command_id, ==, -1);
	g_assert_true (g_bytes_equal (r->raw, response));
	g_assert_true (esim_profile_installation_result_check (r, &error));
	g_assert_no_error (error);
}

static void
test_pir_malformed (void)
{
	const gchar *cases[] = {
		/* AOSP's minimal BF37 { BF27 { A2 { A1 { 81 03 } } } }: a card's
		 * result is a signed notification, every mandatory member counts */
		"BF370ABF2707A205A103810103",
		/* no signature */
		"BF374ABF2747" "8003A1B2C3"
		"BF2F19800105810207800C04736D64705A0A989444999999990930F1" "060388370A"
		"A21FA01D4F10A0000005591010FFFFFFFF8900001200" "04093007A0053003800100",
		/* finalResult A3 */
		"BF37818DBF2747" "8003A1B2C3"
		"BF2F19800105810207800C04736D64705A0A989444999999990930F1" "060388370A"
		"A21FA31D4F10A0000005591010FFFFFFFF8900001200" "04093007A0053003800100"
		"5F3740" X64 ("55"),
		/* aid of 4 bytes */
		"BF378181BF273B" "8003A1B2C3"
		"BF2F19800105810207800C04736D64705A0A989444999999990930F1" "060388370A"
		"A213A0114F04A0000005" "04093007A0053003800100" "5F3740" X64 ("55"),
		/* an OID that ends inside an arc */
		"BF37818DBF2747" "8003A1B2C3"
		"BF2F19800105810207800C04736D64705A0A989444999999990930F1" "0603883788"
		"A21FA01D4F10A0000005591010FFFFFFFF8900001200" "04093007A0053003800100"
		"5F3740" X64 ("55"),
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr(GBytes) response = hex_bytes (cases[i]);
		g_autoptr(EsimProfileInstallationResult) r = NULL;
		g_autoptr(GError) error = NULL;

		r = esim_es10_parse_profile_installation_result (response, &error);
		if (r != NULL)
			g_error ("case %u accepted", i);
		g_assert_true (error != NULL && error->domain == ESIM_DER_ERROR);
		g_assert_true (g_str_has_prefix (error->message, "ProfileInstallationResult: "));
	}
}

static void
test_install_error_names (void)
{
	g_assert_cmpstr (esim_install_error_reason_to_string (8), ==, "scp03tSecurityError");
	g_assert_cmpstr (esim_install_error_reason_to_string (127), ==,
			 "installFailedDueToUnknownError");
	g_assert_cmpstr (esim_install_error_reason_to_string (16), ==, "unknown");
	g_assert_cmpstr (esim_bpp_command_id_to_string (5), ==, "loadProfileElements");
	g_assert_cmpstr (esim_bpp_command_id_to_string (6), ==, "unknown");
	g_assert_cmpstr (esim_bpp_command_id_to_string (-1), ==, "unknown");
}

/* ---- CancelSession ---- */

static void
test_cancel_session_encode (void)
{
	g_autoptr(GBytes) request = NULL;
	g_autoptr(GBytes) v14 = NULL;
	g_autoptr(GError) error = NULL;

	/* AOSP testCancelSession, byte for byte: automatic tags 80 and 81 */
	request = esim_es10_encode_cancel_session ("A1B2C3", ESIM_CANCEL_SESSION_POSTPONED, &error);
	g_assert_no_error (error);
	assert_bytes_hex (request, "BF41088003A1B2C3810101");

	v14 = esim_es10_encode_cancel_session ("E0F1356728A44720B219A3B70C9DF57E",
					       ESIM_CANCEL_SESSION_UNDEFINED, &error);
	g_assert_no_error (error);
	assert_bytes_hex (v14, "BF41158010E0F1356728A44720B219A3B70C9DF57E81017F");

	g_assert_null (esim_es10_encode_cancel_session ("A1B2C3", 6, &error));
	assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
		      "CancelSession: unknown reason 6");
	g_clear_error (&error);
	g_assert_null (esim_es10_encode_cancel_session ("", ESIM_CANCEL_SESSION_TIMEOUT, &error));
	assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "CancelSession: ");
	g_clear_error (&error);
	g_assert_null (esim_es10_encode_cancel_session (NULL, ESIM_CANCEL_SESSION_TIMEOUT, &error));
	assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "CancelSession: ");

	g_assert_cmpstr (esim_cancel_session_reason_to_string (ESIM_CANCEL_SESSION_LOAD_BPP_EXECUTION_ERROR),
			 ==, "loadBppExecutionError");
}

static void
test_cancel_session_parse (void)
{
	g_autoptr(GBytes) response = hex_bytes (CANCEL_OK);
	g_autoptr(GBytes) aosp_error = hex_bytes ("BF4103810103");
	g_autoptr(GBytes) invalid = hex_bytes ("BF4103810105");
	g_autoptr(GBytes) aosp_ok = hex_bytes ("BF4100");
	g_autoptr(GBytes) compact = hex_bytes ("BF4104A2023000");
	g_autoptr(EsimCancelSessionOk) ok = NULL;
	g_autoptr(GError) error = NULL;

	ok = esim_es10_parse_cancel_session (response, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (ok->transaction_id, ==, "A1B2C3");
	g_assert_cmpstr (ok->smdp_oid, ==, "2.999.10");
	g_assert_cmpint (ok->reason, ==, ESIM_CANCEL_SESSION_POSTPONED);
	g_assert_true (g_bytes_equal (ok->raw, response));
	g_clear_pointer (&ok, esim_cancel_session_ok_free);

	/* AOSP testCancelSession_Error: code 3 is none of the two defined */
	g_assert_null (esim_es10_parse_cancel_session (aosp_error, &error));
	assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_UNDEFINED,
		      "CancelSession: unknown error code (3)");
	g_clear_error (&error);
	g_assert_null (esim_es10_parse_cancel_session (invalid, &error));
	assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_NO_SESSION,
		      "CancelSession: invalidTransactionId (5)");
	g_clear_error (&error);
	/* AOSP's empty stub answer */
	g_assert_null (esim_es10_parse_cancel_session (aosp_ok, &error));
	assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_MISSING, "CancelSession: ");
	g_clear_error (&error);
	g_assert_null (esim_es10_parse_cancel_session (compact, &error));
	assert_error (error, ESIM_DER_ERROR, ESIM_DER_ERROR_UNEXPECTED_TAG,
		      "CancelSession: compact answer");
}

/* ---- RemoveNotificationFromList (esim-es10.h) against AOSP ---- */

static void
test_remove_notification_aosp (void)
{
	g_autoptr(GBytes) request = esim_es10_encode_remove_notification (5);
	g_autoptr(GBytes) ok = hex_bytes ("BF3003800100");
	g_autoptr(GError) error = NULL;

	/* AOSP testRemoveNotificationFromList */
	assert_bytes_hex (request, "BF3003800105");
	g_assert_true (esim_es10_parse_remove_notification (ok, &error));
	g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/esim/es10/download/get-euicc-challenge", test_get_euicc_challenge);
	g_test_add_func ("/esim/es10/download/euicc-info1-raw", test_euicc_info1_raw);
	g_test_add_func ("/esim/es10/download/device-info/v15", test_device_info_v15);
	g_test_add_func ("/esim/es10/download/device-info/aosp", test_device_info_aosp);
	g_test_add_func ("/esim/es10/download/device-info/defaults", test_device_info_defaults);
	g_test_add_func ("/esim/es10/download/device-info/refused", test_device_info_refused);
	g_test_add_func ("/esim/es10/download/server-signed1", test_server_signed1);
	g_test_add_func ("/esim/es10/download/smdp-signed2", test_smdp_signed2);
	g_test_add_func ("/esim/es10/download/profile-metadata", test_profile_metadata);
	g_test_add_func ("/esim/es10/download/authenticate-server/encode",
			 test_authenticate_server_encode);
	g_test_add_func ("/esim/es10/download/authenticate-server/refused-input",
			 test_authenticate_server_refused_input);
	g_test_add_func ("/esim/es10/download/authenticate-server/ok", test_authenticate_server_ok);
	g_test_add_func ("/esim/es10/download/authenticate-server/errors",
			 test_authenticate_server_errors);
	g_test_add_func ("/esim/es10/download/authenticate-server/malformed",
			 test_authenticate_server_malformed);
	g_test_add_func ("/esim/es10/download/prepare-download/hash-cc", test_hash_cc);
	g_test_add_func ("/esim/es10/download/prepare-download/encode", test_prepare_download_encode);
	g_test_add_func ("/esim/es10/download/prepare-download/parse", test_prepare_download_parse);
	g_test_add_func ("/esim/es10/download/bpp/aosp", test_bpp_segments_aosp);
	g_test_add_func ("/esim/es10/download/bpp/sizes", test_bpp_segments_sizes);
	g_test_add_func ("/esim/es10/download/bpp/too-many-segments", test_bpp_too_many_segments);
	g_test_add_func ("/esim/es10/download/bpp/malformed", test_bpp_malformed);
	g_test_add_func ("/esim/es10/download/pir/v14", test_pir_v14);
	g_test_add_func ("/esim/es10/download/pir/success", test_pir_success);
	g_test_add_func ("/esim/es10/download/pir/malformed", test_pir_malformed);
	g_test_add_func ("/esim/es10/download/pir/names", test_install_error_names);
	g_test_add_func ("/esim/es10/download/cancel-session/encode", test_cancel_session_encode);
	g_test_add_func ("/esim/es10/download/cancel-session/parse", test_cancel_session_parse);
	g_test_add_func ("/esim/es10/download/remove-notification-aosp",
			 test_remove_notification_aosp);
	return g_test_run ();
}
