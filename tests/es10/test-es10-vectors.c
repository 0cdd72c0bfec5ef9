/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * ES10 encoders and parsers against bytes that did not come from our code:
 * the real-card and independent-implementation vectors of
 * shared/reference/vectors.md (V2 … V21 and its "Conflicts" list), plus error
 * results, malformed answers and skipped unknown tags.
 */

#include <string.h>

#include "esim-der.h"
#include "esim-es10.h"
#include "esim-util.h"

/* V2: GetEID on a real IoT eUICC */
#define V2_REQUEST  "BF3E035C015A"
#define V2_RESPONSE "BF3E125A1089049032000000000000279973200019"

/* V9: EUICCInfo1 of a 5ber card, SVN 2.2.2, two CIs */
#define V9_INFO1                                                                               \
	"BF20618203020202A92C04140B1359633D2AB469761CA9D82B2229350DB722D7041481370F5125D0B1D4" \
	"08D4C3B232E6D25E795BEBFBAA2C04140B1359633D2AB469761CA9D82B2229350DB722D7041481370F51" \
	"25D0B1D408D4C3B232E6D25E795BEBFB"

/* V10: EUICCInfo1 through AT+CGLA, SVN 2.3.0, GSMA CI only */
#define V10_INFO1                                                                              \
	"BF20358203020300A916041481370F5125D0B1D408D4C3B232E6D25E795BEBFBAA16041481370F5125D0" \
	"B1D408D4C3B232E6D25E795BEBFB"

/* V13: EUICCInfo1 of a sysmoEUICC1, SVN 2.5.0, two SGP.26 test CIs */
#define V13_INFO1                                                                              \
	"BF20618203020500A92C0414F54172BDF98A95D65CBEB88A38A1C11D800A85C30414C0BC70BA36929D43" \
	"B467FF57570530E57AB8FCD8AA2C0414F54172BDF98A95D65CBEB88A38A1C11D800A85C30414C0BC70BA" \
	"36929D43B467FF57570530E57AB8FCD8"

/* V11: EUICCInfo2 sample (SGP.22) with 99 forbiddenProfilePolicyRules */
#define V11_INFO2                                                                              \
	"BF2281C6810302010082030202008303040600840F8101008204000628248304000019228504067F36C0" \
	"8603090200870302030088020490A916041481370F5125D0B1D408D4C3B232E6D25E795BEBFBAA160414" \
	"81370F5125D0B1D408D4C3B232E6D25E795BEBFB990206C004030000010C0D47492D42412D55502D3034" \
	"3139AC48801F312E322E3834302E313233343536372F6D79506C6174666F726D4C6162656C8125687474" \
	"70733A2F2F6D79636F6D70616E792E636F6D2F6D79444C4F41526567697374726172"
#define V11_GET_EID	   "BF3E125A10890490320010012345000123456789019000"
#define V11_ADDRESSES	   "BF3C17811574657374726F6F74736D64732E67736D612E636F6D"
#define GSMA_CI		   "81370F5125D0B1D408D4C3B232E6D25E795BEBFB"

/* V7: ProvideEimPackageResult carrying a listProfileInfo result (real IoT card) */
#define V7_PROVIDE_RESULT                                                                      \
	"BF508201B95A1089044045930000000000002153893210BF518201A2A082019E30820157801065696D2E" \
	"73796D622D696F742E636F6D81010D821084C760645756D9C31BF1A45211C1C5BF83010E30820129BF2D" \
	"820124A0820120E34D5A0A980010325476981032144F10A0000005591010FFFFFFFF89000011009F7001" \
	"0091054B6967656E921F47534D412047656E6572696320655549434320546573742050726F66696C6595" \
	"0100E3455A0A984405316081036340614F10A0000005591010FFFFFFFF89000012009F70010091054B69" \
	"67656E92134B6967656E2D5443412D4A542D5347502E33329501029F6701FFE3435A0A98537607621294" \
	"4410F54F10A0000005591010FFFFFFFF89000013009F70010091064D656C69746192143839333536373730" \
	"3236323134393434303135469501" "02E3435A0A985376076212944420F34F10A0000005591010FFFFFFFF" \
	"89000014009F70010191064D656C697461921438393335363737303236323134393434303233469501025F" \
	"3740C493A349A3EFC826EE2CEB30B812CE33D87A17D78A93461853DEBEE32CD59F13C77B393EB1D17EFEAF" \
	"DCE3EAA828F97F8152984DF6B5CAF407E8238CF19D3904"

/* V8: compactOtherSignedNotification (delete, seq 19) */
#define V8_PENDING                                                                             \
	"A1818C5A1089044045930000000000002153893210BF2F34800113810204100C1F736D2D76342D303732" \
	"2D61672D67746D2E70722E676F2D6573696D2E636F6D5A0A985376076212944410F55F3740B598697778" \
	"074BF370FAF2BB3559CAB8F3C8198460630267FCDB71705CC0BD3DE892DCCB1FDA7585BD0BEABB66F63B" \
	"AF98BD87C9450C2DE58CB1DF7509D37754"

/* V14: notificationsList [0] holding a failed-install ProfileInstallationResult */
#define V14_LIST                                                                               \
	"A0819CBF378198BF27528010E0F1356728A44720B219A3B70C9DF57EBF2F2E800102810207800C197465" \
	"7374736D6470706C7573312E6578616D706C652E636F6D5A0A989444999999990930F1060388370AA208" \
	"A1068001028101095F37407FA95E72677338D953EE62395D7BCDC365BF217DFE6DAF315A98503F9DEF97" \
	"103EAFBA7EDB5E16621BA14061354A75390FF0E8332B26AC31C8E2C9FAA6C07358"

/* V5: EuiccPackageResult from a real card (BF51 A0 …) */
#define V5_EPR                                                                                 \
	"BF5172A070302B800C672D65696D2E636F6D2E6272810105821000000000000003676A9E55E6FF224E0F" \
	"83010530038301005F3740D352F5CD544466BDBFB1DD126C31D3D81FB4B77FDA6A66988EC280542CF0CD" \
	"81675C3F23A4463496268A0FA19D4927097B0167E7A7DBBD5130933040C711D59F"

/* V16: AddInitialEimRequest shipped with onomondo-ipa, and its inner 30 */
#define V16_CONFIG_INNER                                                                       \
	"3078800365494D810E3132372E302E302E313A383030308301018401FFA55BA059301306072A8648CE3D" \
	"020106082A8648CE3D03010703420004FE584A6F450459574AECA195D0299737F74C89BA2D36DF9286EC" \
	"25D973037A0FBA70D14DF3E1F7D0A305E57B95B731C4DE218D2D7F9F22113ED5D18C2E3DDF1C"
#define V16_REQUEST "BF577CA07A" V16_CONFIG_INNER

/* V17: EimConfigurationData for addEim */
#define V17_CONFIG                                                                             \
	"3079800465494D32810E3132372E302E302E313A383030308301018401FFA55BA059301306072A8648CE" \
	"3D020106082A8648CE3D03010703420004FE584A6F450459574AECA195D0299737F74C89BA2D36DF9286" \
	"EC25D973037A0FBA70D14DF3E1F7D0A305E57B95B731C4DE218D2D7F9F22113ED5D18C2E3DDF1C"

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

	g_assert_nonnull (bytes);
	hex = esim_hex_encode_bytes (bytes);
	g_assert_cmpstr (hex, ==, expected);
}

static void
assert_ptr_array_strv (GPtrArray *array, const gchar *const *expected)
{
	g_assert_nonnull (array);
	g_assert_cmpuint (array->len, ==, g_strv_length ((gchar **) expected));
	for (guint i = 0; i < array->len; i++)
		g_assert_cmpstr (g_ptr_array_index (array, i), ==, expected[i]);
}

/* Wraps @inner_hex (whole TLVs) into @tag. */
static GBytes *
wrap_hex (EsimTag tag, const gchar *inner_hex)
{
	g_autoptr(EsimDerWriter) writer = esim_der_writer_new ();
	g_autoptr(GBytes) inner = hex_bytes (inner_hex);

	esim_der_writer_begin (writer, tag);
	esim_der_writer_put_raw (writer, g_bytes_get_data (inner, NULL), g_bytes_get_size (inner));
	esim_der_writer_end (writer);
	return esim_der_writer_finish (writer);
}

/* Descends through the first child with each tag in @path. */
static GBytes *
extract_tlv (GBytes *outer_bytes, const EsimTag *path, guint n_path)
{
	g_autoptr(GError) error = NULL;
	EsimTlv tlv;
	gsize len = 0;
	const guint8 *data = g_bytes_get_data (outer_bytes, &len);

	g_assert_true (esim_tlv_parse_exact (data, len, &tlv, &error));
	g_assert_no_error (error);
	g_assert_cmphex (tlv.tag, ==, path[0]);
	for (guint i = 1; i < n_path; i++) {
		EsimTlv child;
		g_assert_true (esim_tlv_find (&tlv, path[i], &child, &error));
		g_assert_no_error (error);
		tlv = child;
	}
	return esim_tlv_dup_raw (&tlv);
}

/* ---- A. real IoT eUICC ---- */

static void
test_v2_get_eid (void)
{
	g_autoptr(GBytes) request = esim_es10_encode_get_eid ();
	g_autoptr(GBytes) response = hex_bytes (V2_RESPONSE);
	g_autoptr(GBytes) sample = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eid = NULL;
	g_autofree gchar *sample_eid = NULL;

	assert_bytes_hex (request, V2_REQUEST);
	eid = esim_es10_parse_get_eid (response, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (eid, ==, "89049032000000000000279973200019");

	/* V11 comment: sample GetEID answer with the trailing SW removed */
	sample = hex_bytes ("BF3E125A1089049032001001234500012345678901");
	g_assert_true (g_str_has_prefix (V11_GET_EID, "BF3E125A1089049032001001234500012345678901"));
	sample_eid = esim_es10_parse_get_eid (sample, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (sample_eid, ==, "89049032001001234500012345678901");
}

static void
test_v7_profiles_info (void)
{
	const EsimTag path[] = { 0xBF50, 0xBF51, 0xA0, 0x30, 0x30, 0xBF2D };
	g_autoptr(GBytes) provide = hex_bytes (V7_PROVIDE_RESULT);
	g_autoptr(GBytes) list = extract_tlv (provide, path, G_N_ELEMENTS (path));
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GError) error = NULL;
	GBytes *info_raw;
	const struct {
		const gchar	*iccid;
		const gchar	*aid;
		const gchar	*provider;
		const gchar	*name;
		EsimProfileState state;
		EsimProfileClass klass;
		gboolean	 fallback_allowed;
	} expected[] = {
		{ "89000123456789012341", "A0000005591010FFFFFFFF8900001100", "Kigen",
		  "GSMA Generic eUICC Test Profile", ESIM_PROFILE_STATE_DISABLED,
		  ESIM_PROFILE_CLASS_TEST, FALSE },
		{ "89445013061830360416", "A0000005591010FFFFFFFF8900001200", "Kigen",
		  "Kigen-TCA-JT-SGP.32", ESIM_PROFILE_STATE_DISABLED,
		  ESIM_PROFILE_CLASS_OPERATIONAL, TRUE },
		{ "8935677026214944015", "A0000005591010FFFFFFFF8900001300", "Melita",
		  "8935677026214944015F", ESIM_PROFILE_STATE_DISABLED,
		  ESIM_PROFILE_CLASS_OPERATIONAL, FALSE },
		{ "8935677026214944023", "A0000005591010FFFFFFFF8900001400", "Melita",
		  "8935677026214944023F", ESIM_PROFILE_STATE_ENABLED,
		  ESIM_PROFILE_CLASS_OPERATIONAL, FALSE },
	};

	/* the list uses long-form (82) lengths at three levels (Conflicts §3) */
	g_assert_cmpuint (g_bytes_get_size (list), ==, 5 + 0x124);
	profiles = esim_es10_parse_profiles_info (list, &error);
	g_assert_no_error (error);
	g_assert_nonnull (profiles);
	g_assert_cmpuint (profiles->len, ==, G_N_ELEMENTS (expected));
	for (guint i = 0; i < profiles->len; i++) {
		EsimProfileInfo *info = g_ptr_array_index (profiles, i);
		g_assert_cmpstr (info->iccid, ==, expected[i].iccid);
		g_assert_cmpstr (info->isdp_aid, ==, expected[i].aid);
		g_assert_cmpstr (info->service_provider, ==, expected[i].provider);
		g_assert_cmpstr (info->name, ==, expected[i].name);
		g_assert_null (info->nickname);
		g_assert_cmpint (info->state, ==, expected[i].state);
		g_assert_cmpint (info->profile_class, ==, expected[i].klass);
		g_assert_cmpint (info->fallback_allowed, ==, expected[i].fallback_allowed);
		g_assert_false (info->fallback_attribute);
		g_assert_nonnull (info->raw);
		g_assert_cmphex (*(const guint8 *) g_bytes_get_data (info->raw, NULL), ==, 0xE3);
	}
	info_raw = ((EsimProfileInfo *) g_ptr_array_index (profiles, 1))->raw;
	g_assert_cmpuint (g_bytes_get_size (info_raw), ==, 2 + 0x45);
}

/* ---- notifications: V8 (compact OSN), V14 (PIR), V5 (EPR list) ---- */

static void
test_v8_v14_notifications (void)
{
	g_autoptr(GBytes) v8 = hex_bytes (V8_PENDING);
	g_autoptr(GBytes) v14 = hex_bytes (V14_LIST);
	g_autoptr(GBytes) response = NULL;
	g_autoptr(EsimNotificationList) list = NULL;
	g_autoptr(GError) error = NULL;
	EsimPendingNotification *n;

	/* V14 is a notificationList [0] already: put it under BF2B */
	response = wrap_hex (0xBF2B, V14_LIST);
	list = esim_es10_parse_retrieve_notifications_list (response, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (list->notifications->len, ==, 1);
	g_assert_cmpuint (list->package_results->len, ==, 0);
	n = g_ptr_array_index (list->notifications, 0);
	g_assert_cmpuint (n->meta.seq_number, ==, 2);
	g_assert_cmpuint (n->meta.events, ==, ESIM_NOTIFICATION_INSTALL);
	g_assert_cmpstr (n->meta.address, ==, "testsmdpplus1.example.com");
	g_assert_cmpstr (n->meta.iccid, ==, "8949449999999990031");
	/* raw is the BF37 exactly as the card signed it */
	assert_bytes_hex (n->raw, &V14_LIST[6]);
	g_clear_pointer (&list, esim_notification_list_free);
	g_clear_pointer (&response, g_bytes_unref);

	/* a list with the compact OSN of V8 followed by the PIR of V14 */
	{
		g_autofree gchar *items = g_strdup_printf ("%s%s", V8_PENDING, &V14_LIST[6]);
		g_autoptr(GBytes) inner = wrap_hex (0xA0, items);
		g_autofree gchar *inner_hex = esim_hex_encode_bytes (inner);
		response = wrap_hex (0xBF2B, inner_hex);
	}
	list = esim_es10_parse_retrieve_notifications_list (response, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (list->notifications->len, ==, 2);
	n = g_ptr_array_index (list->notifications, 0);
	g_assert_cmpuint (n->meta.seq_number, ==, 19);
	g_assert_cmpuint (n->meta.events, ==, ESIM_NOTIFICATION_DELETE);
	g_assert_cmpstr (esim_notification_event_to_string (n->meta.events), ==, "delete");
	g_assert_cmpstr (n->meta.address, ==, "sm-v4-072-ag-gtm.pr.go-esim.com");
	g_assert_cmpstr (n->meta.iccid, ==, "8935677026214944015");
	g_assert_true (g_bytes_equal (n->raw, v8));
	n = g_ptr_array_index (list->notifications, 1);
	g_assert_cmpuint (n->meta.seq_number, ==, 2);
	g_assert_cmpstr (esim_notification_event_to_string (n->meta.events), ==, "install");
	g_assert_cmpuint (g_bytes_get_size (n->raw), ==, g_bytes_get_size (v14) - 3);
}

static void
test_v5_package_results (void)
{
	g_autoptr(GBytes) v5 = hex_bytes (V5_EPR);
	g_autoptr(GBytes) inner = wrap_hex (0xA2, V5_EPR);
	g_autofree gchar *inner_hex = esim_hex_encode_bytes (inner);
	g_autoptr(GBytes) response = wrap_hex (0xBF2B, inner_hex);
	g_autoptr(EsimNotificationList) list = NULL;
	g_autoptr(GError) error = NULL;

	/* euiccPackageResultList (A2) keeps each BF51 A0 … byte for byte (Conflicts §1) */
	list = esim_es10_parse_retrieve_notifications_list (response, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (list->notifications->len, ==, 0);
	g_assert_cmpuint (list->package_results->len, ==, 1);
	g_assert_true (g_bytes_equal (g_ptr_array_index (list->package_results, 0), v5));
}

static void
test_v12_retrieve_requests (void)
{
	g_autoptr(GBytes) seq = NULL;
	g_autoptr(GBytes) all = NULL;
	g_autoptr(GBytes) eprs = NULL;
	g_autoptr(GBytes) op = NULL;

	/* Conflicts §2: the searchCriteria CHOICE is wrapped in an explicit A0 */
	seq = esim_es10_encode_retrieve_notifications_list (ESIM_NOTIFICATION_SEARCH_SEQ_NUMBER, 19);
	assert_bytes_hex (seq, "BF2B05A003800113");
	all = esim_es10_encode_retrieve_notifications_list (ESIM_NOTIFICATION_SEARCH_ALL, 0);
	assert_bytes_hex (all, "BF2B00"); /* V3 */
	eprs = esim_es10_encode_retrieve_notifications_list (
		ESIM_NOTIFICATION_SEARCH_EUICC_PACKAGE_RESULTS, 0);
	assert_bytes_hex (eprs, "BF2B04A0028200");
	op = esim_es10_encode_retrieve_notifications_list (ESIM_NOTIFICATION_SEARCH_OPERATION,
							    ESIM_NOTIFICATION_DELETE);
	assert_bytes_hex (op, "BF2B06A00481020410");
}

/* ---- C. consumer eUICCs ---- */

static void
check_info1 (const gchar *hex, const gchar *svn, const gchar *const *cis)
{
	g_autoptr(GBytes) response = hex_bytes (hex);
	g_autoptr(EsimEuiccInfo1) info = NULL;
	g_autoptr(GError) error = NULL;

	info = esim_es10_parse_euicc_info1 (response, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (info->svn, ==, svn);
	assert_ptr_array_strv (info->ci_pkids_verification, cis);
	assert_ptr_array_strv (info->ci_pkids_signing, cis);
	g_assert_true (g_bytes_equal (info->raw, response));
}

static void
test_v9_v10_v13_info1 (void)
{
	const gchar *v9_cis[] = { "0B1359633D2AB469761CA9D82B2229350DB722D7", GSMA_CI, NULL };
	const gchar *v10_cis[] = { GSMA_CI, NULL };
	const gchar *v13_cis[] = { "F54172BDF98A95D65CBEB88A38A1C11D800A85C3",
				   "C0BC70BA36929D43B467FF57570530E57AB8FCD8", NULL };
	g_autoptr(GBytes) request = esim_es10_encode_get_euicc_info1 ();

	assert_bytes_hex (request, "BF2000"); /* V9/V10 TX */
	check_info1 (V9_INFO1, "2.2.2", v9_cis);
	check_info1 (V10_INFO1, "2.3.0", v10_cis);
	check_info1 (V13_INFO1, "2.5.0", v13_cis);
}

static void
test_v11_info2 (void)
{
	const gchar *cis[] = { GSMA_CI, NULL };
	g_autoptr(GBytes) request = esim_es10_encode_get_euicc_info2 ();
	g_autoptr(GBytes) response = hex_bytes (V11_INFO2);
	g_autoptr(EsimEuiccInfo2) info = NULL;
	g_autoptr(GError) error = NULL;

	assert_bytes_hex (request, "BF2200");
	info = esim_es10_parse_euicc_info2 (response, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (info->profile_version, ==, "2.1.0");
	g_assert_cmpstr (info->svn, ==, "2.2.0");
	g_assert_cmpstr (info->firmware_version, ==, "4.6.0");
	g_assert_cmpint (info->installed_applications, ==, 0);
	g_assert_cmpint (info->free_nvm, ==, 403492);
	g_assert_cmpint (info->free_ram, ==, 6434);
	g_assert_cmpstr (info->ts102241_version, ==, "9.2.0");
	g_assert_cmpstr (info->gp_version, ==, "2.3.0");
	g_assert_cmpstr (info->pp_version, ==, "0.0.1");
	g_assert_cmpstr (info->sas_accreditation_number, ==, "GI-BA-UP-0419");
	assert_ptr_array_strv (info->ci_pkids_verification, cis);
	assert_ptr_array_strv (info->ci_pkids_signing, cis);
	/* 99 is SGP.22 forbiddenProfilePolicyRules: no IoT field may come out of it */
	g_assert_cmpint (info->ipa_mode, ==, -1);
	g_assert_false (info->has_iot_specific_info);
	g_assert_cmpuint (info->iot_versions->len, ==, 0);
	g_assert_false (info->ecall_supported);
	g_assert_false (info->fallback_supported);
	g_assert_true (g_bytes_equal (info->raw, response));
}

static void
test_info2_sgp32_fields (void)
{
	g_autoptr(GBytes) response = NULL;
	g_autoptr(EsimEuiccInfo2) info = NULL;
	g_autoptr(GError) error = NULL;

	/* the V11 fields plus SGP.32 v1.2 ipaMode [16] = ipad, iotSpecificInfo [20]
	 * { iotVersion { 1.2.0, 1.0.0 }, ecallSupported, fallbackSupported,
	 * fallbackAllowedUpdateSupported }, euiccMinimumSecurityLevel [21] */
	response = wrap_hex (0xBF22, "810302010082030202008303040600840F810100820400062824830400001922"
				     "990206C00403000001"
				     "900100"
				     "B412A00A04030102000403010000810082008300"
				     "950101");
	info = esim_es10_parse_euicc_info2 (response, &error);
	g_assert_no_error (error);
	g_assert_cmpint (info->ipa_mode, ==, 0);
	g_assert_true (info->has_iot_specific_info);
	g_assert_cmpuint (info->iot_versions->len, ==, 2);
	g_assert_cmpstr (g_ptr_array_index (info->iot_versions, 0), ==, "1.2.0");
	g_assert_cmpstr (g_ptr_array_index (info->iot_versions, 1), ==, "1.0.0");
	g_assert_true (info->ecall_supported);
	g_assert_true (info->fallback_supported);
	g_assert_cmpstr (info->pp_version, ==, "0.0.1");
	g_assert_null (info->sas_accreditation_number);
	g_assert_null (info->ts102241_version);
	g_assert_cmpuint (info->ci_pkids_verification->len, ==, 0);
}

static void
test_v11_configured_addresses (void)
{
	g_autoptr(GBytes) request = esim_es10_encode_get_configured_addresses ();
	g_autoptr(GBytes) response = hex_bytes (V11_ADDRESSES);
	g_autoptr(GBytes) both = NULL;
	g_autoptr(EsimConfiguredAddresses) addresses = NULL;
	g_autoptr(GError) error = NULL;

	assert_bytes_hex (request, "BF3C00");
	addresses = esim_es10_parse_get_configured_addresses (response, &error);
	g_assert_no_error (error);
	g_assert_null (addresses->default_dp_address);
	g_assert_cmpstr (addresses->root_ds_address, ==, "testrootsmds.gsma.com");
	g_clear_pointer (&addresses, esim_configured_addresses_free);

	both = hex_bytes ("BF3C0F8006736D64702E78810561622E6364");
	addresses = esim_es10_parse_get_configured_addresses (both, &error);
	g_assert_no_error (error);
	g_assert_cmpstr (addresses->default_dp_address, ==, "smdp.x");
	g_assert_cmpstr (addresses->root_ds_address, ==, "ab.cd");
}

/* ---- E. eIM configuration ---- */

static void
test_v16_add_initial_eim (void)
{
	g_autoptr(GBytes) whole = hex_bytes (V16_REQUEST);
	g_autoptr(GBytes) inner = hex_bytes (V16_CONFIG_INNER);
	g_autoptr(GBytes) forwarded = NULL;
	g_autoptr(GBytes) wrapped = NULL;
	g_autoptr(GError) error = NULL;

	g_assert_true (g_str_has_prefix (V16_REQUEST, "BF577CA07A3078"));
	forwarded = esim_es10_encode_add_initial_eim (whole, &error);
	g_assert_no_error (error);
	g_assert_true (g_bytes_equal (forwarded, whole));

	wrapped = esim_es10_encode_add_initial_eim (inner, &error);
	g_assert_no_error (error);
	g_assert_true (g_bytes_equal (wrapped, whole));
}

static void
check_v16_v17_config (EsimEimConfig *config, const gchar *eim_id)
{
	const guint8 *key;

	g_assert_cmpstr (config->eim_id, ==, eim_id);
	g_assert_cmpstr (config->fqdn, ==, "127.0.0.1:8000");
	g_assert_cmpint (config->counter_value, ==, 1);
	g_assert_true (config->has_association_token);
	g_assert_cmpint (config->association_token, ==, -1);
	g_assert_cmpint (config->id_type, ==, -1);
	g_assert_cmpuint (config->supported_protocols, ==, 0);
	g_assert_false (config->indirect_profile_download);
	g_assert_null (config->euicc_ci_pkid);
	g_assert_null (config->trusted_tls_data);
	g_assert_nonnull (config->public_key_data);
	/* A5 5B A0 59 …: the explicit [5] around the implicit [0] SPKI */
	g_assert_cmpuint (g_bytes_get_size (config->public_key_data), ==, 2 + 0x5B);
	key = g_bytes_get_data (config->public_key_data, NULL);
	g_assert_cmphex (key[2], ==, 0xA0);
}

static void
test_v16_v17_eim_config (void)
{
	g_autoptr(GBytes) v16 = hex_bytes (V16_CONFIG_INNER);
	g_autoptr(GBytes) v17 = hex_bytes (V17_CONFIG);
	g_autoptr(GBytes) list_inner = NULL;
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GPtrArray) configs = NULL;
	g_autoptr(EsimEimConfig) config = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *items = NULL;
	g_autofree gchar *list_hex = NULL;

	config = esim_es10_parse_eim_config (g_bytes_get_data (v17, NULL), g_bytes_get_size (v17),
					     &error);
	g_assert_no_error (error);
	check_v16_v17_config (config, "eIM2");
	g_assert_true (g_bytes_equal (config->raw, v17));

	/* GetEimConfigurationData answer BF55 { A0 { V16 inner, V17 } } */
	items = g_strdup_printf ("%s%s", V16_CONFIG_INNER, V17_CONFIG);
	list_inner = wrap_hex (0xA0, items);
	list_hex = esim_hex_encode_bytes (list_inner);
	response = wrap_hex (0xBF55, list_hex);
	configs = esim_es10_parse_get_eim_configuration_data (response, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (configs->len, ==, 2);
	check_v16_v17_config (g_ptr_array_index (configs, 0), "eIM");
	check_v16_v17_config (g_ptr_array_index (configs, 1), "eIM2");
	g_assert_true (g_bytes_equal (((EsimEimConfig *) g_ptr_array_index (configs, 0))->raw, v16));
}

static void
test_eim_config_all_fields (void)
{
	g_autoptr(GBytes) der = NULL;
	g_autoptr(EsimEimConfig) config = NULL;
	g_autoptr(GError) error = NULL;

	/* every field of digest §4, incl. V6's protocols 08 (here 0x80 = retrieveHttps
	 * via a DER named-bit string 07 80), indirect download and an unknown AA */
	der = wrap_hex (0x30, "800161"
			      "8103612E62"
			      "820102"
			      "830200FF"
			      "840105"
			      /* the digest §4 asn1c toy key; a toy certificate */
			      "A50BA009300306012A03020004"
			      "A609A10730003000030100"
			      "8702033C" /* bits 2..5 set, 5 is unnamed */
			      "88021234"
			      "8900"
			      "AA00");
	config = esim_es10_parse_eim_config (g_bytes_get_data (der, NULL), g_bytes_get_size (der),
					     &error);
	g_assert_no_error (error);
	g_assert_cmpstr (config->eim_id, ==, "a");
	g_assert_cmpstr (config->fqdn, ==, "a.b");
	g_assert_cmpint (config->id_type, ==, 2);
	g_assert_cmpint (config->counter_value, ==, 255);
	g_assert_cmpint (config->association_token, ==, 5);
	g_assert_cmpuint (config->supported_protocols, ==,
			  ESIM_EIM_PROTOCOL_INJECT_HTTPS | ESIM_EIM_PROTOCOL_INJECT_COAPS |
				  ESIM_EIM_PROTOCOL_PROPRIETARY);
	g_assert_cmpstr (config->euicc_ci_pkid, ==, "1234");
	g_assert_true (config->indirect_profile_download);
	assert_bytes_hex (config->public_key_data, "A50BA009300306012A03020004");
	assert_bytes_hex (config->trusted_tls_data, "A609A10730003000030100");
	g_assert_cmpint (config->public_key_kind, ==, ESIM_EIM_KEY_PUBLIC_KEY);
	assert_bytes_hex (config->public_key, "3009300306012A03020004");
	g_assert_cmpint (config->trusted_tls_kind, ==, ESIM_EIM_KEY_CERTIFICATE);
	assert_bytes_hex (config->trusted_tls, "300730003000030100");
}

static void
test_add_initial_eim_invalid (void)
{
	const gchar *bad[] = {
		"",			       /* empty */
		"0400",			       /* neither BF57 nor 30 */
		"BF5700",		       /* no list */
		"BF5702A000",		       /* empty list */
		"BF5704A0023000",	       /* config without eimId */
		"BF5703A0023000",	       /* truncated */
		"3003810161",		       /* config without eimId */
		"3078800365",		       /* truncated config */
		"BF5707A00530038001610000",    /* trailing bytes */
		"BF5707A105300380016100",      /* wrong list tag */
	};

	for (guint i = 0; i < G_N_ELEMENTS (bad); i++) {
		g_autoptr(GBytes) input = hex_bytes (bad[i]);
		g_autoptr(GBytes) request = NULL;
		g_autoptr(GError) error = NULL;

		request = esim_es10_encode_add_initial_eim (input, &error);
		g_assert_null (request);
		g_assert_error (error, ESIM_DER_ERROR, error->code);
		g_assert_true (g_str_has_prefix (error->message, "AddInitialEim: "));
	}
}

static void
test_add_initial_eim_response (void)
{
	g_autoptr(GBytes) response = hex_bytes ("BF5707A0058401010500");
	g_autoptr(GBytes) error_response = hex_bytes ("BF5703810102");
	g_autoptr(GArray) results = NULL;
	g_autoptr(GError) error = NULL;
	EsimAddEimResult *r;

	/* digest §2.2 example: one associationToken, one addOk */
	results = esim_es10_parse_add_initial_eim (response, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (results->len, ==, 2);
	r = &g_array_index (results, EsimAddEimResult, 0);
	g_assert_true (r->has_association_token);
	g_assert_cmpint (r->association_token, ==, 1);
	r = &g_array_index (results, EsimAddEimResult, 1);
	g_assert_false (r->has_association_token);

	g_clear_pointer (&results, g_array_unref);
	results = esim_es10_parse_add_initial_eim (error_response, &error);
	g_assert_null (results);
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_ALREADY_EXISTS);
	g_assert_cmpstr (error->message, ==, "AddInitialEim: associatedEimAlreadyExists (2)");
}

/* ---- F. V21: euicc-go ES10c encodings ---- */

static void
test_v21_encodings (void)
{
	g_autoptr(GBytes) reset22 = NULL;
	g_autoptr(GBytes) reset32 = NULL;
	g_autoptr(GBytes) nickname = NULL;
	g_autoptr(GBytes) enable = NULL;
	g_autoptr(GError) error = NULL;
	const guint8 *data;
	gsize len = 0;

	/* SGP.22 reset with deleteOperationalProfiles + deleteFieldLoadedTestProfiles */
	reset22 = esim_es10_encode_memory_reset (ESIM_ES10_VARIANT_SGP22,
						 ESIM_RESET_DELETE_OPERATIONAL_PROFILES |
							 ESIM_RESET_DELETE_FIELD_LOADED_TEST_PROFILES |
							 ESIM_RESET_EIM_CONFIG_DATA);
	assert_bytes_hex (reset22, "BF3404820205C0");
	/* SGP.32 moves it to BF64, with all seven bits */
	reset32 = esim_es10_encode_memory_reset (ESIM_ES10_VARIANT_SGP32,
						 ESIM_RESET_DELETE_OPERATIONAL_PROFILES |
							 ESIM_RESET_EIM_CONFIG_DATA);
	assert_bytes_hex (reset32, "BF640482020184");

	nickname = esim_es10_encode_set_nickname ("00000000000000000000", "euicc-go-test", &error);
	g_assert_no_error (error);
	assert_bytes_hex (nickname,
			  "BF291B5A0A00000000000000000000900D65756963632D676F2D74657374");

	/* V21's EnableProfile is the AID form BF31 08 A0 03 4F 01 01 81 01 FF: ours
	 * takes an ICCID but must keep the explicit A0 and the 81 refreshFlag */
	enable = esim_es10_encode_enable_profile ("8988308650122898710", TRUE, &error);
	g_assert_no_error (error);
	assert_bytes_hex (enable, "BF3111A00C5A0A988803680521828917F08101FF");
	data = g_bytes_get_data (enable, &len);
	g_assert_cmpuint (len, ==, 20);
	g_assert_cmphex (data[3], ==, 0xA0);
	g_assert_cmphex (data[len - 3], ==, 0x81);
}

/* ---- other encoders, checked against the ASN.1 by hand ---- */

static void
test_encoders (void)
{
	g_autoptr(GError) error = NULL;
	EsimProfileSearch search = { .profile_class = ESIM_PROFILE_CLASS_UNKNOWN };
	struct {
		GBytes	    *bytes;
		const gchar *hex;
	} cases[] = {
		{ esim_es10_encode_disable_profile ("8944476500000000011", FALSE, &error),
		  "BF3211A00C5A0A984474560000000010F1810100" },
		{ esim_es10_encode_delete_profile ("89444765000000000220", &error),
		  "BF330C5A0A98447456000000002002" },
		{ esim_es10_encode_list_notification (0), "BF2800" },
		{ esim_es10_encode_list_notification (ESIM_NOTIFICATION_ENABLE |
						      ESIM_NOTIFICATION_DISABLE),
		  "BF280481020560" },
		{ esim_es10_encode_remove_notification (300), "BF30048002012C" },
		{ esim_es10_encode_set_default_dp_address (ESIM_ES10_VARIANT_SGP22, "a.b", &error),
		  "BF3F058003612E62" },
		{ esim_es10_encode_set_default_dp_address (ESIM_ES10_VARIANT_SGP32, "a.b", &error),
		  "BF65058003612E62" },
		{ esim_es10_encode_set_default_dp_address (ESIM_ES10_VARIANT_SGP32, "", &error),
		  "BF65028000" },
		{ esim_es10_encode_get_rat (), "BF4300" },
		{ esim_es10_encode_get_certs (NULL, &error), "BF5600" },
		{ esim_es10_encode_get_certs (GSMA_CI, &error), "BF56168014" GSMA_CI },
		{ esim_es10_encode_get_eim_configuration_data (NULL), "BF5500" },
		{ esim_es10_encode_get_eim_configuration_data ("eIM"), "BF5507A005800365494D" },
		{ esim_es10_encode_get_profiles_info (NULL, &error), "BF2D00" },
		{ esim_es10_encode_get_profiles_info (&search, &error), "BF2D00" },
		{ esim_es10_encode_memory_reset (ESIM_ES10_VARIANT_SGP32, 0x7F), "BF6404820201FE" },
		{ esim_es10_encode_enable_profile ("89444765000000000220", FALSE, &error),
		  "BF3111A00C5A0A98447456000000002002810100" },
	};

	g_assert_no_error (error);
	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr(GBytes) expected = hex_bytes (cases[i].hex);
		g_autofree gchar *got = esim_hex_encode_bytes (cases[i].bytes);
		g_autofree gchar *want = esim_hex_encode_bytes (expected);
		g_assert_cmpstr (got, ==, want);
		g_bytes_unref (cases[i].bytes);
	}
}

static void
test_encode_profiles_search (void)
{
	g_autoptr(GBytes) tags = hex_bytes ("5A9F70");
	g_autoptr(GBytes) by_iccid = NULL;
	g_autoptr(GBytes) by_aid = NULL;
	g_autoptr(GBytes) by_class = NULL;
	g_autoptr(GBytes) bad = NULL;
	g_autoptr(GError) error = NULL;
	EsimProfileSearch search = { .profile_class = ESIM_PROFILE_CLASS_UNKNOWN };

	/* searchCriteria [0] CHOICE is explicit: A0 { 5A … }, then 5C tagList */
	search.iccid = "8944476500000000011";
	search.tag_list = tags;
	by_iccid = esim_es10_encode_get_profiles_info (&search, &error);
	g_assert_no_error (error);
	assert_bytes_hex (by_iccid, "BF2D13A00C5A0A984474560000000010F15C035A9F70");

	search.iccid = NULL;
	search.tag_list = NULL;
	search.isdp_aid = "a0000005591010ffffffff8900001100";
	by_aid = esim_es10_encode_get_profiles_info (&search, &error);
	g_assert_no_error (error);
	assert_bytes_hex (by_aid, "BF2D14A0124F10A0000005591010FFFFFFFF8900001100");

	search.isdp_aid = NULL;
	search.profile_class = ESIM_PROFILE_CLASS_PROVISIONING;
	by_class = esim_es10_encode_get_profiles_info (&search, &error);
	g_assert_no_error (error);
	assert_bytes_hex (by_class, "BF2D05A003950101");

	/* two criteria at once */
	search.iccid = "8944476500000000011";
	bad = esim_es10_encode_get_profiles_info (&search, &error);
	g_assert_null (bad);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);

	/* malformed AID */
	search.iccid = NULL;
	search.profile_class = ESIM_PROFILE_CLASS_UNKNOWN;
	search.isdp_aid = "A0Z0";
	bad = esim_es10_encode_get_profiles_info (&search, &error);
	g_assert_null (bad);
	g_assert_nonnull (error);
	g_assert_true (g_str_has_prefix (error->message, "GetProfilesInfo: "));
}

static void
test_encode_invalid_arguments (void)
{
	g_autofree gchar *long_nickname = g_strnfill (65, 'n');
	g_autofree gchar *max_nickname = g_strnfill (64, 'n');
	const gchar *bad_iccids[] = { "", "123", "8944476500000000011X", "894447650000000001122F",
				      "89444765000000000220123" };
	g_autoptr(GBytes) ok = NULL;
	g_autoptr(GError) error = NULL;

	for (guint i = 0; i < G_N_ELEMENTS (bad_iccids); i++) {
		g_autoptr(GBytes) b1 = NULL;
		g_autoptr(GBytes) b2 = NULL;
		g_autoptr(GBytes) b3 = NULL;
		g_autoptr(GBytes) b4 = NULL;

		b1 = esim_es10_encode_enable_profile (bad_iccids[i], TRUE, &error);
		g_assert_null (b1);
		g_assert_true (g_str_has_prefix (error->message, "EnableProfile: "));
		g_clear_error (&error);
		b2 = esim_es10_encode_disable_profile (bad_iccids[i], TRUE, &error);
		g_assert_null (b2);
		g_assert_true (g_str_has_prefix (error->message, "DisableProfile: "));
		g_clear_error (&error);
		b3 = esim_es10_encode_delete_profile (bad_iccids[i], &error);
		g_assert_null (b3);
		g_assert_true (g_str_has_prefix (error->message, "DeleteProfile: "));
		g_clear_error (&error);
		b4 = esim_es10_encode_set_nickname (bad_iccids[i], "x", &error);
		g_assert_null (b4);
		g_assert_true (g_str_has_prefix (error->message, "SetNickname: "));
		g_clear_error (&error);
	}
	g_assert_null (esim_es10_encode_enable_profile (NULL, TRUE, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);

	/* profileNickname is SIZE(0..64) */
	g_assert_null (esim_es10_encode_set_nickname ("8944476500000000011", long_nickname, &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);
	g_assert_null (esim_es10_encode_set_nickname ("8944476500000000011", "\xff\xfe", &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);
	ok = esim_es10_encode_set_nickname ("8944476500000000011", max_nickname, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (g_bytes_get_size (ok), ==, 3 + 12 + 2 + 64);

	g_assert_null (esim_es10_encode_get_certs ("XYZ", &error));
	g_assert_nonnull (error);
	g_clear_error (&error);
	g_assert_null (esim_es10_encode_set_default_dp_address (ESIM_ES10_VARIANT_SGP32, "\xc3",
							       &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
}

/* ---- result codes ---- */

typedef gboolean (*BoolParser) (GBytes *response, GError **error);

static void
check_result (BoolParser parse, const gchar *hex, gint domain_code, const gchar *message)
{
	g_autoptr(GBytes) response = hex_bytes (hex);
	g_autoptr(GError) error = NULL;
	gboolean ok = parse (response, &error);

	if (message == NULL) {
		g_assert_no_error (error);
		g_assert_true (ok);
		return;
	}
	g_assert_false (ok);
	g_assert_error (error, ESIM_ES10_ERROR, domain_code);
	g_assert_cmpstr (error->message, ==, message);
}

static gboolean
parse_reset_sgp32 (GBytes *response, GError **error)
{
	return esim_es10_parse_memory_reset (ESIM_ES10_VARIANT_SGP32, response, error);
}

static gboolean
parse_reset_sgp22 (GBytes *response, GError **error)
{
	return esim_es10_parse_memory_reset (ESIM_ES10_VARIANT_SGP22, response, error);
}

static gboolean
parse_default_dp_sgp22 (GBytes *response, GError **error)
{
	return esim_es10_parse_set_default_dp_address (ESIM_ES10_VARIANT_SGP22, response, error);
}

static gboolean
parse_default_dp_sgp32 (GBytes *response, GError **error)
{
	return esim_es10_parse_set_default_dp_address (ESIM_ES10_VARIANT_SGP32, response, error);
}

static void
test_result_codes (void)
{
	check_result (esim_es10_parse_enable_profile, "BF3103800100", 0, NULL);
	check_result (esim_es10_parse_enable_profile, "BF3103800101", ESIM_ES10_ERROR_NOT_FOUND,
		      "EnableProfile: iccidOrAidNotFound (1)");
	check_result (esim_es10_parse_enable_profile, "BF3103800102", ESIM_ES10_ERROR_WRONG_STATE,
		      "EnableProfile: profileNotInDisabledState (2)");
	check_result (esim_es10_parse_enable_profile, "BF3103800103",
		      ESIM_ES10_ERROR_DISALLOWED_BY_POLICY, "EnableProfile: disallowedByPolicy (3)");
	check_result (esim_es10_parse_enable_profile, "BF3103800105", ESIM_ES10_ERROR_CAT_BUSY,
		      "EnableProfile: catBusy (5)");
	check_result (esim_es10_parse_enable_profile, "BF310380017F", ESIM_ES10_ERROR_UNDEFINED,
		      "EnableProfile: undefinedError (127)");
	check_result (esim_es10_parse_enable_profile, "BF3103800163", ESIM_ES10_ERROR_UNDEFINED,
		      "EnableProfile: unknown result code (99)");
	check_result (esim_es10_parse_disable_profile, "BF3203800102", ESIM_ES10_ERROR_WRONG_STATE,
		      "DisableProfile: profileNotInEnabledState (2)");
	check_result (esim_es10_parse_disable_profile, "BF3203800100", 0, NULL);
	check_result (esim_es10_parse_delete_profile, "BF3303800102", ESIM_ES10_ERROR_WRONG_STATE,
		      "DeleteProfile: profileNotInDisabledState (2)");
	check_result (esim_es10_parse_delete_profile, "BF3303800101", ESIM_ES10_ERROR_NOT_FOUND,
		      "DeleteProfile: iccidOrAidNotFound (1)");
	check_result (esim_es10_parse_set_nickname, "BF2903800101", ESIM_ES10_ERROR_NOT_FOUND,
		      "SetNickname: iccidNotFound (1)");
	check_result (esim_es10_parse_set_nickname, "BF2903800100", 0, NULL);
	check_result (esim_es10_parse_remove_notification, "BF3003800101",
		      ESIM_ES10_ERROR_NOTHING_TO_DELETE,
		      "RemoveNotificationFromList: nothingToDelete (1)");
	check_result (esim_es10_parse_remove_notification, "BF3003800100", 0, NULL);
	check_result (parse_default_dp_sgp22, "BF3F03800100", 0, NULL);
	check_result (parse_default_dp_sgp32, "BF650380017F", ESIM_ES10_ERROR_UNDEFINED,
		      "SetDefaultDpAddress: undefinedError (127)");
	check_result (parse_reset_sgp22, "BF3403800101", ESIM_ES10_ERROR_NOTHING_TO_DELETE,
		      "eUICCMemoryReset: nothingToDelete (1)");
	check_result (parse_reset_sgp22, "BF3403800100", 0, NULL);

	/* SGP.32 reset: up to three results */
	check_result (parse_reset_sgp32, "BF6403800100", 0, NULL);
	check_result (parse_reset_sgp32, "BF6403800101", ESIM_ES10_ERROR_NOTHING_TO_DELETE,
		      "eUICCMemoryReset: nothingToDelete (1)");
	check_result (parse_reset_sgp32, "BF6406800101810100", 0, NULL);
	check_result (parse_reset_sgp32, "BF6406800100810101", 0, NULL);
	check_result (parse_reset_sgp32, "BF6406800101810101", ESIM_ES10_ERROR_NOTHING_TO_DELETE,
		      "eUICCMemoryReset: nothingToDelete (1)");
	check_result (parse_reset_sgp32, "BF6406800100810102", ESIM_ES10_ERROR_INVALID,
		      "eUICCMemoryReset: eimResetNotSupported (2)");
	check_result (parse_reset_sgp32, "BF6406800100820101", ESIM_ES10_ERROR_INVALID,
		      "eUICCMemoryReset: resetIECNotSupported (1)");
	check_result (parse_reset_sgp32, "BF6403800105", ESIM_ES10_ERROR_CAT_BUSY,
		      "eUICCMemoryReset: catBusy (5)");
	check_result (parse_reset_sgp32, "BF6403800168", ESIM_ES10_ERROR_ECALL_ACTIVE,
		      "eUICCMemoryReset: ecallActive (104)");
}

static void
test_choice_errors (void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) profiles = hex_bytes ("BF2D03810101");
	g_autoptr(GBytes) profiles_busy = hex_bytes ("BF2D0381010B");
	g_autoptr(GBytes) retrieve = hex_bytes ("BF2B0381017F");
	g_autoptr(GBytes) list = hex_bytes ("BF280381017F");
	g_autoptr(GBytes) certs = hex_bytes ("BF5603810101");
	const gchar *zero_codes[] = { "BF2D03810100", "BF2B03810100", "BF2803810100",
				      "BF5603810100", "BF5703810100" };

	g_assert_null (esim_es10_parse_profiles_info (profiles, &error));
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_INVALID);
	g_assert_cmpstr (error->message, ==, "GetProfilesInfo: incorrectInputValues (1)");
	g_clear_error (&error);
	g_assert_null (esim_es10_parse_profiles_info (profiles_busy, &error));
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_CAT_BUSY);
	g_clear_error (&error);
	/* V12: the answer real cards give to a malformed search criterion */
	g_assert_null (esim_es10_parse_retrieve_notifications_list (retrieve, &error));
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_UNDEFINED);
	g_assert_cmpstr (error->message, ==, "RetrieveNotificationsList: undefinedError (127)");
	g_clear_error (&error);
	g_assert_null (esim_es10_parse_list_notification (list, &error));
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_UNDEFINED);
	g_clear_error (&error);
	g_assert_null (esim_es10_parse_get_certs (certs, &error));
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_NOT_FOUND);
	g_assert_cmpstr (error->message, ==, "GetCerts: invalidCiPKId (1)");
	g_clear_error (&error);

	/* an error alternative carrying 0 is still an error, never "no result, no error" */
	for (guint i = 0; i < G_N_ELEMENTS (zero_codes); i++) {
		g_autoptr(GBytes) response = hex_bytes (zero_codes[i]);
		g_autoptr(GPtrArray) p = NULL;
		g_autoptr(GPtrArray) m = NULL;
		g_autoptr(EsimNotificationList) l = NULL;
		g_autoptr(EsimCerts) c = NULL;
		g_autoptr(GArray) a = NULL;

		if (i == 0) {
			p = esim_es10_parse_profiles_info (response, &error);
			g_assert_null (p);
		} else if (i == 1) {
			l = esim_es10_parse_retrieve_notifications_list (response, &error);
			g_assert_null (l);
		} else if (i == 2) {
			m = esim_es10_parse_list_notification (response, &error);
			g_assert_null (m);
		} else if (i == 3) {
			c = esim_es10_parse_get_certs (response, &error);
			g_assert_null (c);
		} else {
			a = esim_es10_parse_add_initial_eim (response, &error);
			g_assert_null (a);
		}
		g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_UNDEFINED);
		g_assert_true (g_str_has_suffix (error->message, "error result without a code (0)"));
		g_clear_error (&error);
	}
}

/* ---- malformed answers ---- */

/* Runs every parser on @response; all must fail with ESIM_DER_ERROR. */
static void
assert_all_parsers_reject (GBytes *response)
{
	GError *e[20] = { NULL };
	gpointer p;
	guint n = 0;

	p = esim_es10_parse_get_eid (response, &e[n++]);
	g_assert_null (p);
	p = esim_es10_parse_euicc_info1 (response, &e[n++]);
	g_assert_null (p);
	p = esim_es10_parse_euicc_info2 (response, &e[n++]);
	g_assert_null (p);
	p = esim_es10_parse_profiles_info (response, &e[n++]);
	g_assert_null (p);
	g_assert_false (esim_es10_parse_enable_profile (response, &e[n++]));
	g_assert_false (esim_es10_parse_disable_profile (response, &e[n++]));
	g_assert_false (esim_es10_parse_delete_profile (response, &e[n++]));
	g_assert_false (esim_es10_parse_set_nickname (response, &e[n++]));
	g_assert_false (esim_es10_parse_memory_reset (ESIM_ES10_VARIANT_SGP32, response, &e[n++]));
	p = esim_es10_parse_list_notification (response, &e[n++]);
	g_assert_null (p);
	p = esim_es10_parse_retrieve_notifications_list (response, &e[n++]);
	g_assert_null (p);
	g_assert_false (esim_es10_parse_remove_notification (response, &e[n++]));
	p = esim_es10_parse_get_configured_addresses (response, &e[n++]);
	g_assert_null (p);
	g_assert_false (esim_es10_parse_set_default_dp_address (ESIM_ES10_VARIANT_SGP22, response,
								&e[n++]));
	p = esim_es10_parse_get_rat (response, &e[n++]);
	g_assert_null (p);
	p = esim_es10_parse_get_certs (response, &e[n++]);
	g_assert_null (p);
	p = esim_es10_parse_get_eim_configuration_data (response, &e[n++]);
	g_assert_null (p);
	p = esim_es10_parse_add_initial_eim (response, &e[n++]);
	g_assert_null (p);
	for (guint i = 0; i < n; i++) {
		g_assert_nonnull (e[i]);
		g_assert_true (e[i]->domain == ESIM_DER_ERROR);
		g_assert_nonnull (strchr (e[i]->message, ':'));
		g_error_free (e[i]);
	}
}

static void
test_malformed (void)
{
	const gchar *vectors[] = { V2_RESPONSE, V9_INFO1, V11_INFO2, V11_ADDRESSES, V5_EPR };
	g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);

	assert_all_parsers_reject (empty);
	assert_all_parsers_reject (NULL);
	/* every truncation of real answers: never a crash, always ESIM_DER_ERROR */
	for (guint v = 0; v < G_N_ELEMENTS (vectors); v++) {
		g_autoptr(GBytes) full = hex_bytes (vectors[v]);
		for (gsize len = 1; len < g_bytes_get_size (full); len++) {
			g_autoptr(GBytes) part = g_bytes_new_from_bytes (full, 0, len);
			assert_all_parsers_reject (part);
		}
	}
}

static void
test_malformed_specific (void)
{
	struct {
		const gchar *hex;
		gint	     code;
		const gchar *prefix;
	} cases[] = {
		{ "BF3F03800100", ESIM_DER_ERROR_UNEXPECTED_TAG, "GetEID: " }, /* wrong outer tag */
		{ "BF3E00", ESIM_DER_ERROR_MISSING, "GetEID: " },
		{ "BF3E055A03010203", ESIM_DER_ERROR_BAD_VALUE, "GetEID: " }, /* short EID */
		{ "BF3E125A10890490320000000000002799732000AB", ESIM_DER_ERROR_BAD_VALUE,
		  "GetEID: " }, /* not BCD */
		{ "BF3E125A1089049032000000000000279973200019FF", ESIM_DER_ERROR_TRAILING_DATA,
		  "GetEID: " },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr(GBytes) response = hex_bytes (cases[i].hex);
		g_autoptr(GError) error = NULL;
		g_autofree gchar *eid = esim_es10_parse_get_eid (response, &error);

		g_assert_null (eid);
		g_assert_nonnull (error);
		g_assert_error (error, ESIM_DER_ERROR, cases[i].code);
		g_assert_true (g_str_has_prefix (error->message, cases[i].prefix));
	}
}

static void
test_malformed_members (void)
{
	const struct {
		const gchar *hex;
		const gchar *prefix;
	} cases[] = {
		/* profileState 2 */
		{ "BF2D08A006E3049F700102", "GetProfilesInfo: " },
		/* ICCID of 3 bytes */
		{ "BF2D09A007E3055A03980010", "GetProfilesInfo: " },
		/* nickname with a NUL */
		{ "BF2D08A006E30490026100", "GetProfilesInfo: " },
		/* version of 2 bytes */
		{ "BF200482020202", "GetEUICCInfo1: " },
		/* missing lists */
		{ "BF20058203020202", "GetEUICCInfo1: " },
		/* notification without seqNumber */
		{ "BF2B0DA00B3009BF2F06810207800C00", "RetrieveNotificationsList: " },
		/* BF37 without BF27 */
		{ "BF2B08A006BF3703800100", "RetrieveNotificationsList: " },
		/* reset without resetResult */
		{ "BF6403810100", "eUICCMemoryReset: " },
		/* RAT rule without pprIds */
		{ "BF430AA008300682020780A100", "GetRAT: " },
		/* RAT without the A0 wrapper */
		{ "BF4300", "GetRAT: " },
		/* certs with a missing euiccCertificate */
		{ "BF560BA009A50730003000030100", "GetCerts: " },
		/* eIM configuration without eimId */
		{ "BF5507A0053003810161", "GetEimConfigurationData: " },
		/* AddInitialEim result that is neither 84 nor 05 */
		{ "BF5704A0028000", "AddInitialEim: " },
		/* profiles answer with an unexpected CHOICE tag */
		{ "BF2D02A100", "GetProfilesInfo: " },
		/* two CHOICE alternatives */
		{ "BF2D05A000810100", "GetProfilesInfo: " },
	};

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autoptr(GBytes) response = hex_bytes (cases[i].hex);
		g_autoptr(GError) error = NULL;
		const gchar *prefix = cases[i].prefix;
		gboolean failed;

		if (g_str_has_prefix (prefix, "GetProfilesInfo")) {
			g_autoptr(GPtrArray) r = esim_es10_parse_profiles_info (response, &error);
			failed = r == NULL;
		} else if (g_str_has_prefix (prefix, "GetEUICCInfo1")) {
			g_autoptr(EsimEuiccInfo1) r = esim_es10_parse_euicc_info1 (response, &error);
			failed = r == NULL;
		} else if (g_str_has_prefix (prefix, "RetrieveNotificationsList")) {
			g_autoptr(EsimNotificationList) r =
				esim_es10_parse_retrieve_notifications_list (response, &error);
			failed = r == NULL;
		} else if (g_str_has_prefix (prefix, "eUICCMemoryReset")) {
			failed = !esim_es10_parse_memory_reset (ESIM_ES10_VARIANT_SGP32, response,
								&error);
		} else if (g_str_has_prefix (prefix, "GetRAT")) {
			g_autoptr(GArray) r = esim_es10_parse_get_rat (response, &error);
			failed = r == NULL;
		} else if (g_str_has_prefix (prefix, "GetCerts")) {
			g_autoptr(EsimCerts) r = esim_es10_parse_get_certs (response, &error);
			failed = r == NULL;
		} else if (g_str_has_prefix (prefix, "GetEimConfigurationData")) {
			g_autoptr(GPtrArray) r =
				esim_es10_parse_get_eim_configuration_data (response, &error);
			failed = r == NULL;
		} else {
			g_autoptr(GArray) r = esim_es10_parse_add_initial_eim (response, &error);
			failed = r == NULL;
		}
		if (!failed)
			g_error ("case %u (%s) was accepted", i, cases[i].hex);
		g_assert_nonnull (error);
		if (!g_str_has_prefix (error->message, prefix))
			g_error ("case %u: message '%s' lacks '%s'", i, error->message, prefix);
		g_assert_true (error->domain == ESIM_DER_ERROR);
	}
}

/* ---- unknown tags, RAT, certs ---- */

static void
test_unknown_tags_skipped (void)
{
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GError) error = NULL;
	EsimProfileInfo *info;

	/* E3 with SGP.32 9F7B, 9F26 TRUE, an empty BF64, icon fields, 99 PPRs,
	 * a private DF7F and a nested B6 — all but 9F26 skipped; a non-E3
	 * element in the list is skipped too */
	response = wrap_hex (0xBF2D,
			     "A03A"
			     "E336"
			     "5A0A984474560000000010F1"
			     "9F700101"
			     "9001" "78"
			     "9301" "01"
			     "9402" "AABB"
			     "9902" "0640"
			     "B605" "3003810100"
			     "9F7B01FF"
			     "9F2601FF"
			     "BF6400"
			     "DF7F0100"
			     "0400"
			     "0500");
	profiles = esim_es10_parse_profiles_info (response, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (profiles->len, ==, 1);
	info = g_ptr_array_index (profiles, 0);
	g_assert_cmpstr (info->iccid, ==, "8944476500000000011");
	g_assert_cmpint (info->state, ==, ESIM_PROFILE_STATE_ENABLED);
	g_assert_cmpstr (info->nickname, ==, "x");
	g_assert_cmpint (info->profile_class, ==, ESIM_PROFILE_CLASS_OPERATIONAL); /* DEFAULT */
	g_assert_true (info->fallback_attribute);
	g_assert_false (info->fallback_allowed);
	g_assert_null (info->name);
	g_assert_null (info->isdp_aid);
	g_assert_cmpuint (g_bytes_get_size (info->raw), ==, 2 + 0x36);
}

/* fallbackAllowed [103] and fallbackAttribute [38] are BOOLEANs: their value counts, not
 * their presence (a card may send 9F67 00). */
static void
test_profile_fallback_flags (void)
{
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GError) error = NULL;
	EsimProfileInfo *info;

	response = wrap_hex (0xBF2D, "A028"
				     "E3145A0A984474560000000010F19F6701009F260100"
				     "E3105A0A984474560000000020F29F6701FF");
	profiles = esim_es10_parse_profiles_info (response, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (profiles->len, ==, 2);
	info = g_ptr_array_index (profiles, 0);
	g_assert_false (info->fallback_allowed);
	g_assert_false (info->fallback_attribute);
	info = g_ptr_array_index (profiles, 1);
	g_assert_true (info->fallback_allowed);
	g_assert_false (info->fallback_attribute); /* DEFAULT FALSE */
}

static void
test_list_notification (void)
{
	g_autoptr(GBytes) request = esim_es10_encode_list_notification (ESIM_NOTIFICATION_INSTALL);
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GPtrArray) metas = NULL;
	g_autoptr(GError) error = NULL;
	EsimNotificationMetadata *meta;

	assert_bytes_hex (request, "BF280481020780");
	/* V8's and V14's metadata in a ListNotification answer */
	response = wrap_hex (0xBF28, "A06A"
				     "BF2F34800113810204100C1F736D2D76342D3037322D61672D67746D2E70722E"
				     "676F2D6573696D2E636F6D5A0A985376076212944410F5"
				     "BF2F2E800102810207800C1974657374736D6470706C7573312E6578616D706C"
				     "652E636F6D5A0A989444999999990930F1"
				     "0500");
	metas = esim_es10_parse_list_notification (response, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (metas->len, ==, 2);
	meta = g_ptr_array_index (metas, 0);
	g_assert_cmpuint (meta->seq_number, ==, 19);
	g_assert_cmpuint (meta->events, ==, ESIM_NOTIFICATION_DELETE);
	g_assert_cmpstr (meta->iccid, ==, "8935677026214944015");
	meta = g_ptr_array_index (metas, 1);
	g_assert_cmpuint (meta->seq_number, ==, 2);
	g_assert_cmpuint (meta->events, ==, ESIM_NOTIFICATION_INSTALL);
	g_assert_cmpstr (meta->address, ==, "testsmdpplus1.example.com");
}

static void
test_compact_pir (void)
{
	g_autoptr(GBytes) response = NULL;
	g_autoptr(EsimNotificationList) list = NULL;
	g_autoptr(GError) error = NULL;
	EsimPendingNotification *n;

	/* CompactProfileInstallationResult: A0 { A0 { 80 txid, 02 seq, A2 … }, 5F37 } */
	response = wrap_hex (0xBF2B, "A01B"
				     "A019"
				     "A010" "800101" "020107" "A208A106800102810109"
				     "5F3704" "01020304");
	list = esim_es10_parse_retrieve_notifications_list (response, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (list->notifications->len, ==, 1);
	n = g_ptr_array_index (list->notifications, 0);
	g_assert_cmpuint (n->meta.seq_number, ==, 7);
	g_assert_cmpuint (n->meta.events, ==, ESIM_NOTIFICATION_INSTALL);
	g_assert_null (n->meta.address);
	g_assert_cmpuint (g_bytes_get_size (n->raw), ==, 2 + 0x19);
}

static void
test_rat (void)
{
	g_autoptr(GBytes) response = NULL;
	g_autoptr(GBytes) empty = hex_bytes ("BF4302A000");
	g_autoptr(GArray) rules = NULL;
	g_autoptr(GError) error = NULL;
	EsimRatRule *rule;

	/* BF43 { A0 { 30 { 80 pprIds {ppr1}, A1 { 2 OperatorIds }, 82 {consentRequired} },
	 *             30 { 80 {ppr1, ppr2}, A1 {}, 82 {} } } } */
	response = wrap_hex (0xBF43, "A026"
				     "3018" "80020640" "A10E" "3005800312F410" "3005800321F354"
				     "82020780"
				     "300A" "80020560" "A100" "82020000");
	rules = esim_es10_parse_get_rat (response, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (rules->len, ==, 2);
	rule = &g_array_index (rules, EsimRatRule, 0);
	g_assert_cmphex (rule->ppr_ids, ==, 1u << 1);
	g_assert_cmpuint (rule->n_allowed_operators, ==, 2);
	g_assert_cmphex (rule->ppr_flags, ==, 1u << 0);
	rule = &g_array_index (rules, EsimRatRule, 1);
	g_assert_cmphex (rule->ppr_ids, ==, (1u << 1) | (1u << 2));
	g_assert_cmpuint (rule->n_allowed_operators, ==, 0);
	g_assert_cmphex (rule->ppr_flags, ==, 0);

	g_clear_pointer (&rules, g_array_unref);
	rules = esim_es10_parse_get_rat (empty, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (rules->len, ==, 0);
}

static void
test_certs (void)
{
	g_autoptr(GBytes) implicit = NULL;
	g_autoptr(GBytes) explicit = NULL;
	g_autoptr(EsimCerts) certs = NULL;
	g_autoptr(GError) error = NULL;

	/* [5]/[6] Certificate are implicit: A5 holds tbs, algorithm, signature */
	implicit = wrap_hex (0xBF56, "A014"
				     "A507" "3000" "3000" "030100"
				     "A609" "30020500" "3000" "030100");
	certs = esim_es10_parse_get_certs (implicit, &error);
	g_assert_no_error (error);
	assert_bytes_hex (certs->eum_certificate, "300730003000030100");
	assert_bytes_hex (certs->euicc_certificate, "3009300205003000030100");
	g_clear_pointer (&certs, esim_certs_free);

	/* an explicit A5 { 30 … } wrapper is tolerated */
	explicit = wrap_hex (0xBF56, "A018"
				     "A509" "300730003000030100"
				     "A60B" "3009300205003000030100");
	certs = esim_es10_parse_get_certs (explicit, &error);
	g_assert_no_error (error);
	assert_bytes_hex (certs->eum_certificate, "300730003000030100");
	assert_bytes_hex (certs->euicc_certificate, "3009300205003000030100");
}

static void
test_eim_config_list_empty (void)
{
	g_autoptr(GBytes) with_list = hex_bytes ("BF5502A000");
	g_autoptr(GBytes) without = hex_bytes ("BF5500");
	g_autoptr(GPtrArray) a = NULL;
	g_autoptr(GPtrArray) b = NULL;
	g_autoptr(GError) error = NULL;

	a = esim_es10_parse_get_eim_configuration_data (with_list, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (a->len, ==, 0);
	b = esim_es10_parse_get_eim_configuration_data (without, &error);
	g_assert_no_error (error);
	g_assert_cmpuint (b->len, ==, 0);
}

static void
test_to_string (void)
{
	g_assert_cmpstr (esim_profile_state_to_string (ESIM_PROFILE_STATE_ENABLED), ==, "enabled");
	g_assert_cmpstr (esim_profile_state_to_string (ESIM_PROFILE_STATE_DISABLED), ==, "disabled");
	g_assert_cmpstr (esim_profile_class_to_string (ESIM_PROFILE_CLASS_TEST), ==, "test");
	g_assert_cmpstr (esim_profile_class_to_string (ESIM_PROFILE_CLASS_PROVISIONING), ==,
			 "provisioning");
	g_assert_cmpstr (esim_profile_class_to_string (ESIM_PROFILE_CLASS_OPERATIONAL), ==,
			 "operational");
	g_assert_cmpstr (esim_profile_class_to_string (ESIM_PROFILE_CLASS_UNKNOWN), ==, "unknown");
	g_assert_cmpstr (esim_notification_event_to_string (ESIM_NOTIFICATION_ENABLE), ==, "enable");
	g_assert_cmpstr (esim_notification_event_to_string (ESIM_NOTIFICATION_DISABLE |
							    ESIM_NOTIFICATION_DELETE),
			 ==, "disable");
	g_assert_cmpstr (esim_notification_event_to_string (0), ==, "unknown");
	/* the free functions take NULL */
	esim_profile_info_free (NULL);
	esim_euicc_info1_free (NULL);
	esim_euicc_info2_free (NULL);
	esim_notification_metadata_free (NULL);
	esim_pending_notification_free (NULL);
	esim_notification_list_free (NULL);
	esim_configured_addresses_free (NULL);
	esim_certs_free (NULL);
	esim_eim_config_free (NULL);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

	g_test_add_func ("/esim/es10/vectors/v2-get-eid", test_v2_get_eid);
	g_test_add_func ("/esim/es10/vectors/v7-profiles-info", test_v7_profiles_info);
	g_test_add_func ("/esim/es10/vectors/v8-v14-notifications", test_v8_v14_notifications);
	g_test_add_func ("/esim/es10/vectors/v5-package-results", test_v5_package_results);
	g_test_add_func ("/esim/es10/vectors/v12-retrieve-requests", test_v12_retrieve_requests);
	g_test_add_func ("/esim/es10/vectors/v9-v10-v13-info1", test_v9_v10_v13_info1);
	g_test_add_func ("/esim/es10/vectors/v11-info2", test_v11_info2);
	g_test_add_func ("/esim/es10/vectors/v11-configured-addresses", test_v11_configured_addresses);
	g_test_add_func ("/esim/es10/vectors/v16-add-initial-eim", test_v16_add_initial_eim);
	g_test_add_func ("/esim/es10/vectors/v16-v17-eim-config", test_v16_v17_eim_config);
	g_test_add_func ("/esim/es10/vectors/v21-encodings", test_v21_encodings);
	g_test_add_func ("/esim/es10/parse/info2-sgp32-fields", test_info2_sgp32_fields);
	g_test_add_func ("/esim/es10/parse/eim-config-all-fields", test_eim_config_all_fields);
	g_test_add_func ("/esim/es10/parse/add-initial-eim-response", test_add_initial_eim_response);
	g_test_add_func ("/esim/es10/encode/all", test_encoders);
	g_test_add_func ("/esim/es10/encode/profiles-search", test_encode_profiles_search);
	g_test_add_func ("/esim/es10/encode/add-initial-eim-invalid", test_add_initial_eim_invalid);
	g_test_add_func ("/esim/es10/encode/invalid-arguments", test_encode_invalid_arguments);
	g_test_add_func ("/esim/es10/errors/result-codes", test_result_codes);
	g_test_add_func ("/esim/es10/errors/choice-errors", test_choice_errors);
	g_test_add_func ("/esim/es10/errors/malformed-truncated", test_malformed);
	g_test_add_func ("/esim/es10/errors/malformed-eid", test_malformed_specific);
	g_test_add_func ("/esim/es10/errors/malformed-members", test_malformed_members);
	g_test_add_func ("/esim/es10/parse/unknown-tags-skipped", test_unknown_tags_skipped);
	g_test_add_func ("/esim/es10/parse/profile-fallback-flags", test_profile_fallback_flags);
	g_test_add_func ("/esim/es10/parse/list-notification", test_list_notification);
	g_test_add_func ("/esim/es10/parse/compact-pir", test_compact_pir);
	g_test_add_func ("/esim/es10/parse/rat", test_rat);
	g_test_add_func ("/esim/es10/parse/certs", test_certs);
	g_test_add_func ("/esim/es10/parse/eim-config-list-empty", test_eim_config_list_empty);
	g_test_add_func ("/esim/es10/types/to-string", test_to_string);

	return g_test_run ();
}
