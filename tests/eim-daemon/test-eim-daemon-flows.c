/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The eIM's packages with the real esimd, each over both ESipa bindings
 * ([eim] Binding=asn1|json): a software eUICC made from the credentials of a
 * test PKI, the test eIM (tests/servers) and the test SM-DP+ of that PKI in
 * this process over real TLS, esimd trusting the PKI's CI ([download]
 * TestCiDirectory) for direct downloads.  The same flows as
 * tests/flows/test-eim-flows.c, here through the daemon: packages are queued
 * on the eIM, esimd is told to poll over D-Bus (Eim.Poll), and what is
 * checked is what the eIM recorded (it verifies the card's signatures) and
 * what the bus shows afterwards, never only a return code.
 */

#include <string.h>

#include <glib/gstdio.h>

#include "esim-der.h"
#include "esim-test-eim.h"
#include "esim-test-pki.h"
#include "esim-test-smdp.h"
#include "esimd-test-harness.h"

#define HOST           "localhost"
#define EUICC_PATH     ESIMD_TEST_ROOT_PATH "/Euicc/0"
#define IFACE_EUICC    "org.freedesktop.Esimd1.Euicc"
#define IFACE_PROFILE  "org.freedesktop.Esimd1.Profile"
#define IFACE_EIM      "org.freedesktop.Esimd1.Eim"
#define CALL_WAIT_MS   60000
#define ENABLED_ICCID  "8944476500000000013"     /* the demo profiles of every software eUICC */
#define DISABLED_ICCID "89444765000000000223"
#define SECOND_EIM_ID  "second-eim"

static gchar *pki_dir;
static gchar *ci_dir;

typedef struct {
	EsimdTestHarness *h;
	EsimTestEim      *eim;
	EsimTestSmdp     *smdp;
	GTlsDatabase     *smdp_trust;
	EsimTestEimBinding binding;
	gchar            *eid;
	gchar            *eim_path;
} Fixture;

/* ---- calls ---- */

static GVariant *
call (Fixture *f, const gchar *path, const gchar *iface, const gchar *method, GVariant *args,
      const GVariantType *reply_type, GError **error)
{
	return esimd_test_harness_call (f->h, path, iface, method, args, reply_type, CALL_WAIT_MS,
	                                error);
}

static GVariant *
get_property (Fixture *f, const gchar *path, const gchar *iface, const gchar *name)
{
	return esimd_test_harness_get_property (f->h, path, iface, name);
}

static gchar *
get_string (Fixture *f, const gchar *path, const gchar *iface, const gchar *name)
{
	g_autoptr(GVariant) value = get_property (f, path, iface, name);

	return g_variant_dup_string (value, NULL);
}

static guint
get_uint (Fixture *f, const gchar *path, const gchar *iface, const gchar *name)
{
	g_autoptr(GVariant) value = get_property (f, path, iface, name);

	return g_variant_get_uint32 (value);
}

static guint
n_children (Fixture *f, const gchar *path, const gchar *iface, const gchar *name)
{
	g_autoptr(GVariant) value = get_property (f, path, iface, name);

	return (guint) g_variant_n_children (value);
}

/* The State of the profile @iccid on the bus; NULL when it has no object. */
static gchar *
profile_state (Fixture *f, const gchar *iccid)
{
	g_autoptr(GVariant) profiles = get_property (f, EUICC_PATH, IFACE_EUICC, "Profiles");

	for (gsize i = 0; i < g_variant_n_children (profiles); i++) {
		g_autoptr(GVariant) child = g_variant_get_child_value (profiles, i);
		const gchar *path = g_variant_get_string (child, NULL);
		g_autofree gchar *current = get_string (f, path, IFACE_PROFILE, "Iccid");

		if (g_strcmp0 (current, iccid) == 0)
			return get_string (f, path, IFACE_PROFILE, "State");
	}
	return NULL;
}

static gboolean
profile_in_state (Fixture *f, const gchar *iccid, const gchar *state)
{
	g_autofree gchar *current = profile_state (f, iccid);

	return g_strcmp0 (current, state) == 0;
}

static gint64
last_poll (Fixture *f)
{
	g_autoptr(GVariant) value = get_property (f, f->eim_path, IFACE_EIM, "LastPoll");

	return g_variant_get_int64 (value);
}

/* Whether an Eim object on the bus has EimId @eim_id. */
static gboolean
eim_on_bus (Fixture *f, const gchar *eim_id)
{
	g_autoptr(GVariant) eims = get_property (f, EUICC_PATH, IFACE_EUICC, "Eims");

	for (gsize i = 0; i < g_variant_n_children (eims); i++) {
		g_autoptr(GVariant) child = g_variant_get_child_value (eims, i);
		g_autofree gchar *id = get_string (f, g_variant_get_string (child, NULL), IFACE_EIM,
		                                   "EimId");

		if (g_strcmp0 (id, eim_id) == 0)
			return TRUE;
	}
	return FALSE;
}

static guint
n_listed_notifications (Fixture *f)
{
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) list = NULL;
	g_autoptr(GError) error = NULL;

	reply = call (f, EUICC_PATH, IFACE_EUICC, "ListNotifications", NULL,
	              G_VARIANT_TYPE ("(aa{sv})"), &error);
	g_assert_no_error (error);
	list = g_variant_get_child_value (reply, 0);
	return (guint) g_variant_n_children (list);
}

/* Eim.Poll() of the test eIM; the number of packages it executed. */
static guint32
poll_eim (Fixture *f)
{
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) result = NULL;
	g_autoptr(GError) error = NULL;
	guint32 packages = 0;

	reply = call (f, f->eim_path, IFACE_EIM, "Poll", NULL, G_VARIANT_TYPE ("(a{sv})"), &error);
	g_assert_no_error (error);
	result = g_variant_get_child_value (reply, 0);
	g_assert_true (g_variant_lookup (result, "packages", "u", &packages));
	return packages;
}

/* ---- the eIM's records ---- */

static guint
count_records (Fixture *f, EsimTestEimRecordKind kind)
{
	g_autoptr(GPtrArray) records = esim_test_eim_get_records (f->eim, f->eid);
	guint n = 0;

	for (guint i = 0; i < records->len; i++) {
		const EsimTestEimRecord *record = g_ptr_array_index (records, i);

		if (record->kind == kind)
			n++;
	}
	return n;
}

/* The record of @kind whose summary has @text; fails the test when there is none. */
static const EsimTestEimRecord *
find_record (Fixture *f, EsimTestEimRecordKind kind, const gchar *text)
{
	g_autoptr(GPtrArray) records = esim_test_eim_get_records (f->eim, f->eid);

	for (guint i = 0; i < records->len; i++) {
		const EsimTestEimRecord *record = g_ptr_array_index (records, i);

		if (record->kind == kind && (text == NULL || strstr (record->summary, text) != NULL))
			return record;
	}
	/* an assertion, not g_error(): the harness stops esimd on SIGABRT only */
	g_test_message ("the eIM has no record of kind %d with \"%s\"", (gint) kind, text);
	g_assert_not_reached ();
}

/* A result the eIM accepted: over the binding configured, the card's signature
 * verified, seen once, nothing wrong in it. */
static void
assert_result_valid (Fixture *f, const EsimTestEimRecord *record)
{
	g_assert_cmpint (record->binding, ==, f->binding);
	if (record->problems != NULL)
		g_test_message ("record %s: %s", record->summary, record->problems);
	g_assert_null (record->problems);
	g_assert_false (record->duplicate);
	if (record->kind == ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT)
		g_assert_cmpint (record->signature, ==, ESIM_TEST_EIM_SIGNATURE_VALID);
}

static gboolean
all_acknowledged (Fixture *f, EsimTestEimRecordKind kind)
{
	g_autoptr(GPtrArray) records = esim_test_eim_get_records (f->eim, f->eid);

	for (guint i = 0; i < records->len; i++) {
		const EsimTestEimRecord *record = g_ptr_array_index (records, i);

		if (record->kind == kind && !record->acknowledged)
			return FALSE;
	}
	return TRUE;
}

/* ---- fixture ---- */

static EsimCert *
load_cert (const gchar *dir, const gchar *file)
{
	g_autofree gchar *path = g_build_filename (pki_dir, dir, file, NULL);
	g_autoptr(GError) error = NULL;
	EsimCert *cert = esim_cert_new_from_file (path, &error);

	g_assert_no_error (error);
	return cert;
}

/* esimd with one software eUICC of the PKI, the binding of @data (0 ASN.1, 1
 * JSON), the test CI trusted; the SM-DP+ and the eIM listening, the eIM
 * relaying to the SM-DP+; @no_indirect: the eIM's configuration leaves
 * indirectProfileDownload out; @token: it asks the card for an
 * associationToken.  The card gets the eIM with AddInitialEim. */
static void
fixture_start (Fixture *f, gconstpointer data, gboolean no_indirect, gboolean token)
{
	EsimTestEimOptions options = { .host = HOST, .accept_any_eid = TRUE };
	EsimTestSmdpOptions smdp_options = { .pki_dir = pki_dir, .host = HOST };
	EsimTestEimConfigOptions config_options = { .no_indirect_download = no_indirect,
	                                             .has_association_token = token };
	g_autofree gchar *ci_pem = g_build_filename (pki_dir, "CertificateIssuer",
	                                             "CERT_CI_ECDSA_NIST.pem", NULL);
	g_autofree gchar *card = NULL;
	g_autofree gchar *config = NULL;
	g_autofree gchar *seed = g_strdup_printf ("[card]\ncredentials=%s\n", pki_dir);
	g_autofree gchar *text = NULL;
	g_autoptr(EsimCert) euicc_cert = load_cert ("eUICC", "CERT_EUICC_ECDSA_NIST.der");
	g_autoptr(GBytes) configuration = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) eims = NULL;
	g_autoptr(GError) error = NULL;

	f->binding = GPOINTER_TO_INT (data) == 0 ? ESIM_TEST_EIM_BINDING_ASN1 :
	             ESIM_TEST_EIM_BINDING_JSON;
	text = g_strdup_printf ("[download]\nTestCiDirectory=%s\n"
	                        "[eim]\nPollInterval=3600\nPollJitter=0\nAttempts=1\nTimeout=20\n"
	                        "Binding=%s\n", ci_dir,
	                        f->binding == ESIM_TEST_EIM_BINDING_JSON ? "json" : "asn1");
	f->h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	card = esimd_test_harness_card_path (f->h, 0);
	config = esimd_test_harness_config_path (f->h);
	g_assert_true (g_file_set_contents (card, seed, -1, NULL));
	g_assert_true (g_file_set_contents (config, text, -1, NULL));

	f->smdp = esim_test_smdp_new (&smdp_options, &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_smdp_listen (f->smdp, "127.0.0.1:0", &error));
	f->smdp_trust = g_tls_file_database_new (ci_pem, &error);
	g_assert_no_error (error);
	f->eim = esim_test_eim_new (&options, &error);
	g_assert_no_error (error);
	esim_test_eim_set_smdp_trust (f->eim, f->smdp_trust);
	/* what reaches the eIM is what is checked; a forward to the SM-DP+ in
	 * this process still in its handshake would hold up the teardown */
	esim_test_eim_set_forward_notifications (f->eim, FALSE);
	esimd_test_harness_start_daemon (f->h, 1, NULL);

	f->eid = get_string (f, EUICC_PATH, IFACE_EUICC, "Eid");
	g_assert_cmpuint (strlen (f->eid), ==, 32);
	g_assert_true (esim_test_eim_set_euicc_certificate (f->eim, f->eid, euicc_cert, &error));
	g_assert_no_error (error);
	configuration = esim_test_eim_build_configuration (f->eim, &config_options, &error);
	g_assert_no_error (error);
	reply = call (f, EUICC_PATH, IFACE_EUICC, "AddInitialEim",
	              g_variant_new ("(@ay)", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
	                             g_bytes_get_data (configuration, NULL),
	                             g_bytes_get_size (configuration), 1)),
	              NULL, &error);
	g_assert_no_error (error);
	eims = get_property (f, EUICC_PATH, IFACE_EUICC, "Eims");
	g_assert_cmpuint (g_variant_n_children (eims), ==, 1);
	g_variant_get_child (eims, 0, "o", &f->eim_path);
	/* a new eIM is polled at once: that poll ends before the tests' own */
	esim_test_wait_until (last_poll (f) > 0, "the first poll of the new eIM");
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
	fixture_start (f, data, FALSE, FALSE);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
	if (f->h != NULL)
		esimd_test_harness_stop_daemon (f->h);
	g_clear_object (&f->eim);
	g_clear_object (&f->smdp_trust);
	g_clear_object (&f->smdp);
	g_clear_pointer (&f->h, esimd_test_harness_free);
	g_free (f->eid);
	g_free (f->eim_path);
}

/* ---- PSMOs ---- */

static gboolean
profile_gone (Fixture *f, const gchar *iccid)
{
	g_autofree gchar *state = profile_state (f, iccid);

	return state == NULL;
}

/* listProfileInfo, a delete and a disable in three packages, one Eim.Poll: the
 * eIM has the card's three signed results and acknowledged them; on the bus
 * the deleted profile is gone and the other one disabled. */
static void
test_psmos (Fixture *f, gconstpointer data)
{
	g_autoptr(EsimTestEimPackage) list = esim_test_eim_package_new_psmos ();
	g_autoptr(EsimTestEimPackage) delete = esim_test_eim_package_new_psmos ();
	g_autoptr(EsimTestEimPackage) disable = esim_test_eim_package_new_psmos ();
	g_autoptr(GError) error = NULL;
	const EsimTestEimRecord *record;

	g_assert_true (profile_in_state (f, ENABLED_ICCID, "enabled"));
	g_assert_true (profile_in_state (f, DISABLED_ICCID, "disabled"));
	esim_test_eim_package_add_list_profile_info (list, NULL);
	g_assert_true (esim_test_eim_package_add_delete (delete, DISABLED_ICCID, &error));
	g_assert_true (esim_test_eim_package_add_disable (disable, ENABLED_ICCID, &error));
	g_assert_no_error (error);
	esim_test_eim_queue (f->eim, f->eid, g_steal_pointer (&list));
	esim_test_eim_queue (f->eim, f->eid, g_steal_pointer (&delete));
	esim_test_eim_queue (f->eim, f->eid, g_steal_pointer (&disable));
	/* the disable switches profiles: the cycle ends there */
	g_assert_cmpuint (poll_eim (f), ==, 3);
	g_assert_cmpuint (esim_test_eim_get_queue_length (f->eim, f->eid), ==, 0);

	g_assert_cmpuint (count_records (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT), ==, 3);
	record = find_record (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT, "listProfileInfo");
	assert_result_valid (f, record);
	g_assert_nonnull (strstr (record->summary, "2 profiles"));
	assert_result_valid (f, find_record (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT, "delete=ok"));
	assert_result_valid (f, find_record (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT,
	                                     "disable=ok"));
	esim_test_wait_until (all_acknowledged (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT),
	                      "the acknowledgement of the three results");

	/* the bus follows the card */
	esim_test_wait_until (profile_gone (f, DISABLED_ICCID), "the deleted profile's object to go");
	esim_test_wait_until (profile_in_state (f, ENABLED_ICCID, "disabled"),
	                      "the profile disabled on the bus");
	g_assert_cmpuint (n_children (f, EUICC_PATH, IFACE_EUICC, "Profiles"), ==, 1);
}

/* ---- eCOs ---- */

/* addEim, then deleteEim of a second eIM: its Eim object appears, then goes;
 * the eIM that sent them stays. */
static void
test_ecos (Fixture *f, gconstpointer data)
{
	EsimTestEimOptions second_options = { .eim_id = SECOND_EIM_ID, .host = HOST,
	                                      .accept_any_eid = TRUE };
	EsimTestEimConfigOptions config_options = { 0 };
	g_autoptr(EsimTestEimPackage) add = esim_test_eim_package_new_ecos ();
	g_autoptr(EsimTestEimPackage) del = esim_test_eim_package_new_ecos ();
	g_autoptr(EsimTestEim) second = NULL;
	g_autoptr(GBytes) second_config = NULL;
	g_autoptr(GError) error = NULL;

	/* a live eIM: esimd polls a new eIM at once */
	second = esim_test_eim_new (&second_options, &error);
	g_assert_no_error (error);
	second_config = esim_test_eim_build_configuration (second, &config_options, &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_eim_package_add_add_eim (add, second_config, &error));
	g_assert_no_error (error);
	esim_test_eim_package_add_delete_eim (del, SECOND_EIM_ID);
	g_assert_false (eim_on_bus (f, SECOND_EIM_ID));

	esim_test_eim_queue (f->eim, f->eid, g_steal_pointer (&add));
	g_assert_cmpuint (poll_eim (f), ==, 1);
	assert_result_valid (f, find_record (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT, "addEim"));
	esim_test_wait_until (eim_on_bus (f, SECOND_EIM_ID), "the second eIM's object");
	g_assert_cmpuint (n_children (f, EUICC_PATH, IFACE_EUICC, "Eims"), ==, 2);

	esim_test_eim_queue (f->eim, f->eid, g_steal_pointer (&del));
	g_assert_cmpuint (poll_eim (f), ==, 1);
	assert_result_valid (f, find_record (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT,
	                                     "deleteEim"));
	esim_test_wait_until (!eim_on_bus (f, SECOND_EIM_ID), "the second eIM's object to go");
	g_assert_cmpuint (n_children (f, EUICC_PATH, IFACE_EUICC, "Eims"), ==, 1);
	g_assert_true (eim_on_bus (f, esim_test_eim_get_id (f->eim)));
	g_assert_cmpuint (count_records (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT), ==, 2);
	esim_test_wait_until (all_acknowledged (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT),
	                      "the acknowledgement of both results");
}

/* ---- ipaEuiccDataRequest ---- */

/* Whether the IpaEuiccData BF52 { A0 { … } } has @tag directly under A0. */
static gboolean
data_has_tag (GBytes *bf52, EsimTag tag)
{
	EsimTlv top, choice, field;
	EsimTlvIter iter;

	g_assert_true (esim_tlv_parse_exact (g_bytes_get_data (bf52, NULL), g_bytes_get_size (bf52),
	                                     &top, NULL));
	g_assert_true (esim_tlv_parse_exact (top.value, top.len, &choice, NULL));
	g_assert_cmphex (choice.tag, ==, 0xA0);
	esim_tlv_iter_init (&iter, &choice);
	while (esim_tlv_iter_next (&iter, &field, NULL)) {
		if (field.tag == tag)
			return TRUE;
	}
	return FALSE;
}

/* An ipaEuiccDataRequest with every tag of IpaEuiccData (SGP.32 v1.2, digest
 * §3.3), on a card that has everything to give: an eIM with an
 * associationToken (which the eIM learns from a first request's 84: the card
 * allocates it, and signed packages carry it) and, after a
 * setDefaultDpAddress PSMO, a default SM-DP+ address.  The eIM's record of
 * the second request holds every tag it asked for. */
static void
test_data_every_tag (Fixture *f, gconstpointer data)
{
	static const guint8 tag_list[] = { 0xA0, 0x81, 0xA2, 0xBF, 0x20, 0xBF, 0x22, 0x83, 0x84, 0xA5,
	                                   0xA6, 0x87, 0xA8, 0xA9 };
	static const EsimTag asked[] = { 0xA0, 0x81, 0xA2, 0xBF20, 0xBF22, 0x83, 0x84, 0xA5, 0xA6,
	                                 0x87, 0xA8, 0xA9 };
	g_autoptr(EsimTestEimPackage) set_dp = esim_test_eim_package_new_psmos ();
	g_autofree gchar *default_dp = NULL;
	g_autoptr(GPtrArray) records = NULL;
	const EsimTestEimRecord *record;

	fixture_start (f, data, FALSE, TRUE);
	esim_test_eim_queue (f->eim, f->eid,
	                     esim_test_eim_package_new_data_request (tag_list, sizeof (tag_list)));
	esim_test_eim_package_add_set_default_dp (set_dp, "smdp.example.org");
	esim_test_eim_queue (f->eim, f->eid, g_steal_pointer (&set_dp));
	esim_test_eim_queue (f->eim, f->eid,
	                     esim_test_eim_package_new_data_request (tag_list, sizeof (tag_list)));
	g_assert_cmpuint (poll_eim (f), ==, 3);
	assert_result_valid (f, find_record (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT,
	                                     "setDefaultDpAddress"));
	g_assert_cmpuint (count_records (f, ESIM_TEST_EIM_RECORD_IPA_EUICC_DATA), ==, 2);
	records = esim_test_eim_get_records (f->eim, f->eid);
	record = g_ptr_array_index (records, records->len - 1);
	g_assert_cmpint (record->kind, ==, ESIM_TEST_EIM_RECORD_IPA_EUICC_DATA);
	assert_result_valid (f, record);
	g_test_message ("IpaEuiccData: %s", record->summary);
	for (guint i = 0; i < G_N_ELEMENTS (asked); i++) {
		if (!data_has_tag (record->tlv, asked[i]))
			g_test_message ("IpaEuiccData lacks tag %X", asked[i]);
		g_assert_true (data_has_tag (record->tlv, asked[i]));
	}
	default_dp = get_string (f, EUICC_PATH, IFACE_EUICC, "DefaultDpAddress");
	g_assert_cmpstr (default_dp, ==, "smdp.example.org");
}

/* ---- downloads ---- */

/* A download ordered by the eIM (profileDownloadTriggerRequest), relayed
 * through it or straight to the SM-DP+ over ES9+: the profile's object
 * appears, the eIM has the download result, and the installation result's
 * notification has left the card. */
static void
check_download (Fixture *f, gboolean indirect)
{
	EsimTestSmdpOrder order = { .matching_id = "MID-TRIGGER", .profile_name = "Triggered profile" };
	g_autoptr(GVariant) indirect_property = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *code = NULL;
	const gchar *iccid;

	indirect_property = get_property (f, f->eim_path, IFACE_EIM, "IndirectDownload");
	g_assert_cmpint (g_variant_get_boolean (indirect_property), ==, indirect);
	g_assert_true (esim_test_smdp_add_order (f->smdp, &order, &error));
	g_assert_no_error (error);
	code = esim_test_smdp_get_activation_code (f->smdp, order.matching_id);
	iccid = esim_test_smdp_get_order_iccid (f->smdp, order.matching_id);
	g_assert_nonnull (iccid);
	/* the trigger carries the code without the "LPA:" scheme */
	g_assert_true (g_str_has_prefix (code, "LPA:"));
	esim_test_eim_queue (f->eim, f->eid, esim_test_eim_package_new_download (code + 4));
	g_assert_cmpuint (poll_eim (f), ==, 1);

	esim_test_wait_until (profile_in_state (f, iccid, "disabled"), "the downloaded profile's object");
	g_assert_cmpuint (n_children (f, EUICC_PATH, IFACE_EUICC, "Profiles"), ==, 3);
	assert_result_valid (f, find_record (f, ESIM_TEST_EIM_RECORD_DOWNLOAD_RESULT, NULL));
	g_assert_cmpuint (esim_test_eim_get_relayed (f->eim,
	                                             ESIM_TEST_EIM_FUNCTION_INITIATE_AUTHENTICATION),
	                  ==, indirect ? 1 : 0);
	g_assert_cmpuint (esim_test_eim_get_relayed (f->eim,
	                                             ESIM_TEST_EIM_FUNCTION_GET_BOUND_PROFILE_PACKAGE),
	                  ==, indirect ? 1 : 0);
	g_assert_cmpuint (esim_test_smdp_get_request_count (f->smdp, "getBoundProfilePackage"), ==, 1);
	g_assert_cmpint (esim_test_smdp_get_order_state (f->smdp, order.matching_id), !=,
	                 ESIM_TEST_SMDP_ORDER_RELEASED);
	esim_test_wait_until (get_uint (f, EUICC_PATH, IFACE_EUICC, "PendingNotifications") == 0,
	                      "no notification left pending");
	g_assert_cmpuint (n_listed_notifications (f), ==, 0);
}

static void
test_download_indirect (Fixture *f, gconstpointer data)
{
	check_download (f, TRUE);
}

static void
test_download_direct (Fixture *f, gconstpointer data)
{
	fixture_start (f, data, TRUE, FALSE);
	check_download (f, FALSE);
}

/* ---- notifications ---- */

/* An enable PSMO: the notifications the switch queued on the card reach the
 * eIM, are accepted and leave the card (PendingNotifications, ListNotifications). */
static void
test_notifications (Fixture *f, gconstpointer data)
{
	g_autoptr(EsimTestEimPackage) enable = esim_test_eim_package_new_psmos ();
	g_autoptr(GPtrArray) records = NULL;
	g_autoptr(GError) error = NULL;
	guint n = 0;

	g_assert_true (esim_test_eim_package_add_enable (enable, DISABLED_ICCID, FALSE, &error));
	g_assert_no_error (error);
	esim_test_eim_queue (f->eim, f->eid, g_steal_pointer (&enable));
	g_assert_cmpuint (count_records (f, ESIM_TEST_EIM_RECORD_NOTIFICATION), ==, 0);
	g_assert_cmpuint (poll_eim (f), ==, 1);
	esim_test_wait_until (profile_in_state (f, DISABLED_ICCID, "enabled"),
	                      "the profile enabled on the bus");
	assert_result_valid (f, find_record (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT,
	                                     "enable=ok"));
	esim_test_wait_until (count_records (f, ESIM_TEST_EIM_RECORD_NOTIFICATION) >= 1,
	                      "the switch's notifications at the eIM");
	esim_test_wait_until (all_acknowledged (f, ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT),
	                      "the acknowledgement of the result");
	records = esim_test_eim_get_records (f->eim, f->eid);
	for (guint i = 0; i < records->len; i++) {
		const EsimTestEimRecord *record = g_ptr_array_index (records, i);

		if (record->kind != ESIM_TEST_EIM_RECORD_NOTIFICATION)
			continue;
		g_test_message ("notification %" G_GINT64_FORMAT ": %s", record->seq_number,
		                record->summary);
		assert_result_valid (f, record);
		g_assert_cmpint (record->seq_number, >=, 0);
		/* acknowledged: in eimAcknowledgements, or by the eIM's answer to
		 * HandleNotification, which has no data (SGP.32 §6.3.2.4) */
		g_assert_true (record->acknowledged ||
		               record->via == ESIM_TEST_EIM_FUNCTION_HANDLE_NOTIFICATION);
		n++;
	}
	g_assert_cmpuint (n, >=, 1);
	esim_test_wait_until (get_uint (f, EUICC_PATH, IFACE_EUICC, "PendingNotifications") == 0,
	                      "PendingNotifications to reach 0");
	g_assert_cmpuint (n_listed_notifications (f), ==, 0);
}

int
main (int argc, char *argv[])
{
	EsimTestPkiOptions options = { .smdp_host = HOST };
	g_autoptr(GError) error = NULL;
	g_autofree gchar *ci_cert = NULL;
	g_autofree gchar *ci_copy = NULL;
	g_autofree gchar *der = NULL;
	gsize len = 0;
	int ret;

	g_test_init (&argc, &argv, NULL);
	pki_dir = g_dir_make_tmp ("test-eim-daemon-flows-XXXXXX", &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_pki_write (pki_dir, &options, NULL, &error));
	g_assert_no_error (error);
	/* the CI's certificate alone: its PKI directory holds its private key too */
	ci_dir = g_build_filename (pki_dir, "trusted-ci", NULL);
	g_assert_cmpint (g_mkdir (ci_dir, 0700), ==, 0);
	ci_cert = g_build_filename (pki_dir, "CertificateIssuer", "CERT_CI_ECDSA_NIST.der", NULL);
	ci_copy = g_build_filename (ci_dir, "test-ci.der", NULL);
	g_assert_true (g_file_get_contents (ci_cert, &der, &len, NULL));
	g_assert_true (g_file_set_contents (ci_copy, der, (gssize) len, NULL));

#define BOTH(path, setup, func)                                                                 \
	G_STMT_START {                                                                          \
		g_test_add ("/esimd/eim-flows/" path "/asn1", Fixture, GINT_TO_POINTER (0), setup, \
		            func, fixture_tear_down);                                           \
		g_test_add ("/esimd/eim-flows/" path "/json", Fixture, GINT_TO_POINTER (1), setup, \
		            func, fixture_tear_down);                                           \
	} G_STMT_END
	BOTH ("psmo/list-delete-disable", fixture_set_up, test_psmos);
	BOTH ("eco/add-delete", fixture_set_up, test_ecos);
	BOTH ("data/every-tag", NULL, test_data_every_tag);
	BOTH ("download/indirect", fixture_set_up, test_download_indirect);
	BOTH ("download/direct", NULL, test_download_direct);
	BOTH ("notifications", fixture_set_up, test_notifications);
	ret = g_test_run ();
	{
		g_autofree gchar *command = g_strdup_printf ("rm -rf '%s'", pki_dir);
		g_assert_true (g_spawn_command_line_sync (command, NULL, NULL, NULL, NULL));
	}
	g_free (ci_dir);
	g_free (pki_dir);
	return ret;
}
