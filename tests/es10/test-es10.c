/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Every ES10 call end to end: EsimIsdr over the virtual channel against an
 * ephemeral software eUICC, run on the main loop.  The card is written from
 * the ASN.1 independently of the client, so both sides have to agree on the
 * bytes for these tests to pass.
 */

#include <glib/gstdio.h>
#include <string.h>
#include <gnutls/x509.h>

#include "esim-channel-virtual.h"
#include "esim-der.h"
#include "esim-es10.h"
#include "esim-test-wait.h"
#include "esim-util.h"
#include "esim-veuicc.h"

/* V16 (vectors.md): the AddInitialEimRequest shipped with onomondo-ipa */
#define V16_REQUEST                                                                            \
	"BF577CA07A3078800365494D810E3132372E302E302E313A383030308301018401FFA55BA05930130607" \
	"2A8648CE3D020106082A8648CE3D03010703420004FE584A6F450459574AECA195D0299737F74C89BA2D" \
	"36DF9286EC25D973037A0FBA70D14DF3E1F7D0A305E57B95B731C4DE218D2D7F9F22113ED5D18C2E3DDF1C"

typedef struct {
	EsimVeuicc	   *card;
	EsimChannelVirtual *channel;
	EsimIsdr	   *isdr;
	GAsyncResult	   *res;
	gboolean	    done;
	gchar		   *enabled_iccid;  /* demo profile that starts enabled */
	gchar		   *disabled_iccid; /* demo profile that starts disabled */
	gchar		   *top;            /* temporary directory of a card with a file */
	gchar		   *state_dir;      /* top/state, holding the card's file */
} Fixture;

static void
async_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	Fixture *f = user_data;

	g_assert_false (f->done);
	g_clear_object (&f->res);
	f->res = g_object_ref (res);
	f->done = TRUE;
}

/* Runs the main loop until the call made in @caller completes; the result
 * stays owned by the fixture until the next call. */
static GAsyncResult *
wait_result_in (Fixture *f, const gchar *caller)
{
	esim_test_wait_until (f->done, "the call made in %s to complete", caller);
	f->done = FALSE;
	return f->res;
}
#define wait_result(f) wait_result_in (f, G_STRFUNC)

static GPtrArray *
get_profiles (Fixture *f, const EsimProfileSearch *search)
{
	g_autoptr(GError) error = NULL;
	GPtrArray *profiles;

	esim_es10_get_profiles_info (f->isdr, search, NULL, async_done, f);
	profiles = esim_es10_get_profiles_info_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	g_assert_nonnull (profiles);
	return profiles;
}

static EsimProfileInfo *
find_profile (GPtrArray *profiles, const gchar *iccid)
{
	for (guint i = 0; i < profiles->len; i++) {
		EsimProfileInfo *info = g_ptr_array_index (profiles, i);
		if (g_strcmp0 (info->iccid, iccid) == 0)
			return info;
	}
	return NULL;
}

/* As find_profile(), for a profile that must be there. */
static EsimProfileInfo *
get_profile (GPtrArray *profiles, const gchar *iccid)
{
	EsimProfileInfo *info = find_profile (profiles, iccid);

	if (info == NULL)
		g_assert_not_reached ();
	return info;
}

/* Opens the ISD-R session to f->card and learns its demo profiles. */
static void
fixture_open (Fixture *f)
{
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GError) error = NULL;

	f->channel = esim_channel_virtual_new (f->card);
	f->isdr = esim_isdr_new (ESIM_CHANNEL (f->channel));
	esim_isdr_open_async (f->isdr, NULL, async_done, f);
	g_assert_true (esim_isdr_open_finish (f->isdr, wait_result (f), &error));
	g_assert_no_error (error);

	/* the demo card: one enabled and one disabled profile */
	profiles = get_profiles (f, NULL);
	g_assert_cmpuint (profiles->len, ==, 2);
	for (guint i = 0; i < profiles->len; i++) {
		EsimProfileInfo *info = g_ptr_array_index (profiles, i);
		if (info->state == ESIM_PROFILE_STATE_ENABLED)
			f->enabled_iccid = g_strdup (info->iccid);
		else
			f->disabled_iccid = g_strdup (info->iccid);
	}
	g_assert_nonnull (f->enabled_iccid);
	g_assert_nonnull (f->disabled_iccid);
}

static void
fixture_setup (Fixture *f, gconstpointer user_data)
{
	f->card = esim_veuicc_new_ephemeral ();
	fixture_open (f);
}

/* A card that keeps its state in top/state/card.ini. */
static void
fixture_setup_file (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *path = NULL;

	f->top = g_dir_make_tmp ("test-es10-XXXXXX", &error);
	g_assert_no_error (error);
	f->state_dir = g_build_filename (f->top, "state", NULL);
	g_assert_cmpint (g_mkdir (f->state_dir, 0700), ==, 0);
	path = g_build_filename (f->state_dir, "card.ini", NULL);
	f->card = esim_veuicc_new_from_file (path, TRUE, &error);
	g_assert_no_error (error);
	fixture_open (f);
}

static void
fixture_teardown (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;

	esim_isdr_close_async (f->isdr, NULL, async_done, f);
	g_assert_true (esim_isdr_close_finish (f->isdr, wait_result (f), &error));
	g_assert_no_error (error);
	g_clear_object (&f->res);
	g_clear_object (&f->isdr);
	g_clear_object (&f->channel);
	g_clear_object (&f->card);
	g_free (f->enabled_iccid);
	g_free (f->disabled_iccid);
	if (f->top != NULL) {
		g_autofree gchar *path = g_build_filename (f->state_dir, "card.ini", NULL);
		g_unlink (path);
		g_rmdir (f->state_dir);
		g_rmdir (f->top);
		g_free (f->state_dir);
		g_free (f->top);
	}
}

/* ---- the calls ---- */

static void
test_get_eid (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eid = NULL;
	guint before = esim_isdr_get_apdu_count (f->isdr);

	esim_es10_get_eid (f->isdr, NULL, async_done, f);
	eid = esim_es10_get_eid_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	g_assert_true (esim_eid_is_valid (eid));
	g_assert_cmpstr (eid, ==, esim_veuicc_get_eid (f->card));
	/* one STORE DATA answered 61xx, one GET RESPONSE for the 21 bytes */
	g_assert_cmpuint (esim_isdr_get_apdu_count (f->isdr) - before, ==, 2);
}

static void
test_euicc_info (Fixture *f, gconstpointer user_data)
{
	g_autoptr(EsimEuiccInfo1) info1 = NULL;
	g_autoptr(EsimEuiccInfo2) info2 = NULL;
	g_autoptr(GError) error = NULL;

	esim_es10_get_euicc_info1 (f->isdr, NULL, async_done, f);
	info1 = esim_es10_get_euicc_info1_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	g_assert_nonnull (info1->svn);
	g_assert_cmpuint (info1->ci_pkids_verification->len, >=, 1);
	g_assert_cmpuint (info1->ci_pkids_signing->len, >=, 1);

	esim_es10_get_euicc_info2 (f->isdr, NULL, async_done, f);
	info2 = esim_es10_get_euicc_info2_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	g_assert_cmpstr (info2->svn, ==, info1->svn);
	g_assert_nonnull (info2->profile_version);
	g_assert_nonnull (info2->firmware_version);
	g_assert_nonnull (info2->pp_version);
	g_assert_nonnull (info2->sas_accreditation_number);
	g_assert_cmpint (info2->free_nvm, >, 0);
	g_assert_cmpuint (info2->ci_pkids_signing->len, ==, info1->ci_pkids_signing->len);
	g_assert_cmpstr (g_ptr_array_index (info2->ci_pkids_signing, 0), ==,
			 g_ptr_array_index (info1->ci_pkids_signing, 0));
	/* SGP.32: ipaMode and iotSpecificInfo with at least one version */
	g_assert_cmpint (info2->ipa_mode, ==, 0);
	g_assert_true (info2->has_iot_specific_info);
	g_assert_cmpuint (info2->iot_versions->len, >=, 1);
	g_assert_cmpstr (g_ptr_array_index (info2->iot_versions, 0), ==, "1.2.0");
}

static void
test_profiles (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GPtrArray) all = get_profiles (f, NULL);
	g_autoptr(GPtrArray) one = NULL;
	g_autoptr(GPtrArray) by_class = NULL;
	g_autoptr(GBytes) tags = g_bytes_new_static ("\x5A\x9F\x70", 3);
	EsimProfileSearch search = { .profile_class = ESIM_PROFILE_CLASS_UNKNOWN };
	EsimProfileInfo *enabled = get_profile (all, f->enabled_iccid);
	EsimProfileInfo *disabled = get_profile (all, f->disabled_iccid);

	g_assert_nonnull (enabled->name);
	g_assert_nonnull (enabled->service_provider);
	g_assert_nonnull (enabled->isdp_aid);
	g_assert_cmpstr (enabled->isdp_aid, !=, disabled->isdp_aid);
	g_assert_cmpint (enabled->profile_class, ==, ESIM_PROFILE_CLASS_OPERATIONAL);
	g_assert_cmpint (disabled->profile_class, ==, ESIM_PROFILE_CLASS_TEST);
	g_assert_true (esim_iccid_is_valid (enabled->iccid));
	g_assert_nonnull (enabled->raw);

	/* search by ICCID, with a tag list: only the requested fields come back */
	search.iccid = f->disabled_iccid;
	search.tag_list = tags;
	one = get_profiles (f, &search);
	g_assert_cmpuint (one->len, ==, 1);
	g_assert_cmpstr (((EsimProfileInfo *) g_ptr_array_index (one, 0))->iccid, ==,
			 f->disabled_iccid);
	g_assert_null (((EsimProfileInfo *) g_ptr_array_index (one, 0))->name);

	search.iccid = NULL;
	search.tag_list = NULL;
	search.profile_class = ESIM_PROFILE_CLASS_OPERATIONAL;
	by_class = get_profiles (f, &search);
	g_assert_cmpuint (by_class->len, ==, 1);
	g_assert_cmpstr (((EsimProfileInfo *) g_ptr_array_index (by_class, 0))->iccid, ==,
			 f->enabled_iccid);
}

static void
test_enable_disable (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GPtrArray) after_enable = NULL;
	g_autoptr(GPtrArray) after_disable = NULL;
	g_autoptr(GError) error = NULL;
	guint n_notifications = esim_veuicc_get_n_notifications (f->card);

	esim_es10_enable_profile (f->isdr, f->disabled_iccid, TRUE, NULL, async_done, f);
	g_assert_true (esim_es10_enable_profile_finish (f->isdr, wait_result (f), &error));
	g_assert_no_error (error);
	after_enable = get_profiles (f, NULL);
	g_assert_cmpint (get_profile (after_enable, f->disabled_iccid)->state, ==,
			 ESIM_PROFILE_STATE_ENABLED);
	g_assert_cmpint (get_profile (after_enable, f->enabled_iccid)->state, ==,
			 ESIM_PROFILE_STATE_DISABLED);
	/* disable of the old one, enable of the new one */
	g_assert_cmpuint (esim_veuicc_get_n_notifications (f->card), ==, n_notifications + 2);

	/* enabling it again: profileNotInDisabledState */
	esim_es10_enable_profile (f->isdr, f->disabled_iccid, FALSE, NULL, async_done, f);
	g_assert_false (esim_es10_enable_profile_finish (f->isdr, wait_result (f), &error));
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_WRONG_STATE);
	g_assert_cmpstr (error->message, ==, "EnableProfile: profileNotInDisabledState (2)");
	g_clear_error (&error);

	esim_es10_disable_profile (f->isdr, f->disabled_iccid, FALSE, NULL, async_done, f);
	g_assert_true (esim_es10_disable_profile_finish (f->isdr, wait_result (f), &error));
	g_assert_no_error (error);
	after_disable = get_profiles (f, NULL);
	for (guint i = 0; i < after_disable->len; i++) {
		EsimProfileInfo *info = g_ptr_array_index (after_disable, i);
		g_assert_cmpint (info->state, ==, ESIM_PROFILE_STATE_DISABLED);
	}

	esim_es10_disable_profile (f->isdr, f->disabled_iccid, FALSE, NULL, async_done, f);
	g_assert_false (esim_es10_disable_profile_finish (f->isdr, wait_result (f), &error));
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_WRONG_STATE);
	g_assert_cmpstr (error->message, ==, "DisableProfile: profileNotInEnabledState (2)");
}

static void
test_delete (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GError) error = NULL;

	/* an enabled profile cannot be deleted */
	esim_es10_delete_profile (f->isdr, f->enabled_iccid, NULL, async_done, f);
	g_assert_false (esim_es10_delete_profile_finish (f->isdr, wait_result (f), &error));
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_WRONG_STATE);
	g_assert_cmpstr (error->message, ==, "DeleteProfile: profileNotInDisabledState (2)");
	g_clear_error (&error);

	esim_es10_delete_profile (f->isdr, f->disabled_iccid, NULL, async_done, f);
	g_assert_true (esim_es10_delete_profile_finish (f->isdr, wait_result (f), &error));
	g_assert_no_error (error);
	profiles = get_profiles (f, NULL);
	g_assert_cmpuint (profiles->len, ==, 1);
	g_assert_null (find_profile (profiles, f->disabled_iccid));
	g_assert_cmpuint (esim_veuicc_get_n_profiles (f->card), ==, 1);

	esim_es10_delete_profile (f->isdr, f->disabled_iccid, NULL, async_done, f);
	g_assert_false (esim_es10_delete_profile_finish (f->isdr, wait_result (f), &error));
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_NOT_FOUND);
}

static void
test_nickname (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GError) error = NULL;

	esim_es10_set_nickname (f->isdr, f->enabled_iccid, "my \xc3\xa9SIM", NULL, async_done, f);
	g_assert_true (esim_es10_set_nickname_finish (f->isdr, wait_result (f), &error));
	g_assert_no_error (error);
	profiles = get_profiles (f, NULL);
	g_assert_cmpstr (get_profile (profiles, f->enabled_iccid)->nickname, ==, "my \xc3\xa9SIM");

	esim_es10_set_nickname (f->isdr, "8999999999999999999", "x", NULL, async_done, f);
	g_assert_false (esim_es10_set_nickname_finish (f->isdr, wait_result (f), &error));
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_NOT_FOUND);
	g_assert_cmpstr (error->message, ==, "SetNickname: iccidNotFound (1)");
}

static void
test_notifications (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GPtrArray) metas = NULL;
	g_autoptr(EsimNotificationList) all = NULL;
	g_autoptr(EsimNotificationList) one = NULL;
	g_autoptr(EsimNotificationList) eprs = NULL;
	g_autoptr(GPtrArray) after = NULL;
	g_autoptr(GError) error = NULL;
	guint n_before = esim_veuicc_get_n_notifications (f->card);
	EsimNotificationMetadata *enable_meta = NULL;
	EsimPendingNotification *n;
	guint64 removed_seq;

	/* enabling the disabled profile queues two notifications */
	esim_es10_enable_profile (f->isdr, f->disabled_iccid, FALSE, NULL, async_done, f);
	g_assert_true (esim_es10_enable_profile_finish (f->isdr, wait_result (f), &error));

	esim_es10_list_notification (f->isdr, 0, NULL, async_done, f);
	metas = esim_es10_list_notification_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	g_assert_cmpuint (metas->len, ==, n_before + 2);
	for (guint i = 0; i < metas->len; i++) {
		EsimNotificationMetadata *meta = g_ptr_array_index (metas, i);
		g_assert_nonnull (meta->address);
		if (meta->events == ESIM_NOTIFICATION_ENABLE)
			enable_meta = meta;
	}
	g_assert_nonnull (enable_meta);
	g_assert_cmpstr (enable_meta->iccid, ==, f->disabled_iccid);

	esim_es10_retrieve_notifications_list (f->isdr, ESIM_NOTIFICATION_SEARCH_ALL, 0, NULL,
					       async_done, f);
	all = esim_es10_retrieve_notifications_list_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	g_assert_cmpuint (all->notifications->len, ==, metas->len);
	n = g_ptr_array_index (all->notifications, 0);
	/* an OtherSignedNotification, kept as the card sent it */
	g_assert_cmphex (((const guint8 *) g_bytes_get_data (n->raw, NULL))[0], ==, 0x30);

	/* by seqNumber (the A0 { 80 } form of V12) */
	esim_es10_retrieve_notifications_list (f->isdr, ESIM_NOTIFICATION_SEARCH_SEQ_NUMBER,
					       enable_meta->seq_number, NULL, async_done, f);
	one = esim_es10_retrieve_notifications_list_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	g_assert_cmpuint (one->notifications->len, ==, 1);
	n = g_ptr_array_index (one->notifications, 0);
	g_assert_cmpuint (n->meta.seq_number, ==, enable_meta->seq_number);
	g_assert_cmpuint (n->meta.events, ==, ESIM_NOTIFICATION_ENABLE);

	/* stored EuiccPackageResults: none yet */
	esim_es10_retrieve_notifications_list (f->isdr,
					       ESIM_NOTIFICATION_SEARCH_EUICC_PACKAGE_RESULTS, 0,
					       NULL, async_done, f);
	eprs = esim_es10_retrieve_notifications_list_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	g_assert_cmpuint (eprs->package_results->len, ==, 0);
	g_assert_cmpuint (eprs->notifications->len, ==, 0);

	removed_seq = enable_meta->seq_number;
	esim_es10_remove_notification (f->isdr, removed_seq, NULL, async_done, f);
	g_assert_true (esim_es10_remove_notification_finish (f->isdr, wait_result (f), &error));
	g_assert_no_error (error);
	g_assert_cmpuint (esim_veuicc_get_n_notifications (f->card), ==, n_before + 1);

	esim_es10_list_notification (f->isdr, ESIM_NOTIFICATION_ENABLE, NULL, async_done, f);
	after = esim_es10_list_notification_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	for (guint i = 0; i < after->len; i++) {
		EsimNotificationMetadata *meta = g_ptr_array_index (after, i);
		g_assert_cmpuint (meta->seq_number, !=, removed_seq);
		g_assert_cmpuint (meta->events, ==, ESIM_NOTIFICATION_ENABLE);
	}

	esim_es10_remove_notification (f->isdr, removed_seq, NULL, async_done, f);
	g_assert_false (esim_es10_remove_notification_finish (f->isdr, wait_result (f), &error));
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_NOTHING_TO_DELETE);
}

static void
check_default_dp (Fixture *f, EsimEs10Variant variant, const gchar *address)
{
	g_autoptr(EsimConfiguredAddresses) addresses = NULL;
	g_autoptr(GError) error = NULL;

	esim_es10_set_default_dp_address (f->isdr, variant, address, NULL, async_done, f);
	g_assert_true (esim_es10_set_default_dp_address_finish (f->isdr, wait_result (f), &error));
	g_assert_no_error (error);
	esim_es10_get_configured_addresses (f->isdr, NULL, async_done, f);
	addresses = esim_es10_get_configured_addresses_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	g_assert_cmpstr (addresses->default_dp_address, ==, address);
	g_assert_nonnull (addresses->root_ds_address);
}

static void
test_addresses (Fixture *f, gconstpointer user_data)
{
	g_autoptr(EsimConfiguredAddresses) addresses = NULL;
	g_autoptr(GError) error = NULL;

	esim_es10_get_configured_addresses (f->isdr, NULL, async_done, f);
	addresses = esim_es10_get_configured_addresses_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	g_assert_nonnull (addresses->root_ds_address);

	check_default_dp (f, ESIM_ES10_VARIANT_SGP32, "smdp.example.com");
	check_default_dp (f, ESIM_ES10_VARIANT_SGP22, "smdp2.example.org");
}

static void
test_rat (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GArray) rules = NULL;
	g_autoptr(GError) error = NULL;

	esim_es10_get_rat (f->isdr, NULL, async_done, f);
	rules = esim_es10_get_rat_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	g_assert_nonnull (rules);
	for (guint i = 0; i < rules->len; i++) {
		EsimRatRule *rule = &g_array_index (rules, EsimRatRule, i);
		/* only pprUpdateControl, ppr1 and ppr2 are named */
		g_assert_cmphex (rule->ppr_ids & ~0x7u, ==, 0);
	}
}

static void
check_x509 (GBytes *der, gnutls_x509_crt_t *crt_out)
{
	gnutls_datum_t datum;
	gnutls_x509_crt_t crt = NULL;

	g_assert_nonnull (der);
	datum.data = (unsigned char *) g_bytes_get_data (der, NULL);
	datum.size = g_bytes_get_size (der);
	g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, GNUTLS_E_SUCCESS);
	g_assert_cmpint (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_DER), ==,
			 GNUTLS_E_SUCCESS);
	*crt_out = crt;
}

static void
test_certs (Fixture *f, gconstpointer user_data)
{
	g_autoptr(EsimCerts) certs = NULL;
	g_autoptr(EsimCerts) certs_by_pkid = NULL;
	g_autoptr(EsimCerts) none = NULL;
	g_autoptr(EsimEuiccInfo1) info1 = NULL;
	g_autoptr(GError) error = NULL;
	gnutls_x509_crt_t eum = NULL;
	gnutls_x509_crt_t euicc = NULL;

	esim_es10_get_certs (f->isdr, NULL, NULL, async_done, f);
	certs = esim_es10_get_certs_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	check_x509 (certs->eum_certificate, &eum);
	check_x509 (certs->euicc_certificate, &euicc);
	/* the eUICC certificate is issued by the EUM */
	g_assert_cmpint (gnutls_x509_crt_check_issuer (euicc, eum), ==, 1);
	gnutls_x509_crt_deinit (eum);
	gnutls_x509_crt_deinit (euicc);

	/* asking for the card's own CI key identifier works, another one does not */
	esim_es10_get_euicc_info1 (f->isdr, NULL, async_done, f);
	info1 = esim_es10_get_euicc_info1_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	esim_es10_get_certs (f->isdr, g_ptr_array_index (info1->ci_pkids_signing, 0), NULL,
			     async_done, f);
	certs_by_pkid = esim_es10_get_certs_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	g_assert_true (g_bytes_equal (certs_by_pkid->euicc_certificate, certs->euicc_certificate));

	esim_es10_get_certs (f->isdr, "0102030405060708090A0B0C0D0E0F1011121314", NULL,
			     async_done, f);
	none = esim_es10_get_certs_finish (f->isdr, wait_result (f), &error);
	g_assert_null (none);
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_NOT_FOUND);
	g_assert_cmpstr (error->message, ==, "GetCerts: invalidCiPKId (1)");
}

static GPtrArray *
get_eims (Fixture *f, const gchar *eim_id)
{
	g_autoptr(GError) error = NULL;
	GPtrArray *configs;

	esim_es10_get_eim_configuration_data (f->isdr, eim_id, NULL, async_done, f);
	configs = esim_es10_get_eim_configuration_data_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	g_assert_nonnull (configs);
	return configs;
}

static void
test_eim (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GBytes) v16 = esim_hex_decode (V16_REQUEST, NULL);
	g_autoptr(GPtrArray) empty = get_eims (f, NULL);
	g_autoptr(GPtrArray) configs = NULL;
	g_autoptr(GPtrArray) by_id = NULL;
	g_autoptr(GPtrArray) by_other_id = NULL;
	g_autoptr(GArray) results = NULL;
	g_autoptr(GArray) again = NULL;
	g_autoptr(GError) error = NULL;
	EsimEimConfig *config;

	g_assert_cmpuint (empty->len, ==, 0);

	/* a small segment size splits the 127-byte request over 8 STORE DATA blocks */
	esim_isdr_set_segment_size (f->isdr, 16);
	esim_es10_add_initial_eim (f->isdr, v16, NULL, async_done, f);
	results = esim_es10_add_initial_eim_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	g_assert_cmpuint (results->len, ==, 1);
	esim_isdr_set_segment_size (f->isdr, 255);

	configs = get_eims (f, NULL);
	g_assert_cmpuint (configs->len, ==, 1);
	config = g_ptr_array_index (configs, 0);
	g_assert_cmpstr (config->eim_id, ==, "eIM");
	g_assert_cmpstr (config->fqdn, ==, "127.0.0.1:8000");
	g_assert_cmpint (config->counter_value, ==, 1);
	g_assert_nonnull (config->public_key_data);
	if (g_array_index (results, EsimAddEimResult, 0).has_association_token) {
		g_assert_true (config->has_association_token);
		g_assert_cmpint (config->association_token, ==,
				 g_array_index (results, EsimAddEimResult, 0).association_token);
	}

	by_id = get_eims (f, "eIM");
	g_assert_cmpuint (by_id->len, ==, 1);
	by_other_id = get_eims (f, "another");
	g_assert_cmpuint (by_other_id->len, ==, 0);

	/* AddInitialEim only works once */
	esim_es10_add_initial_eim (f->isdr, v16, NULL, async_done, f);
	again = esim_es10_add_initial_eim_finish (f->isdr, wait_result (f), &error);
	g_assert_null (again);
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_ALREADY_EXISTS);
	g_assert_cmpstr (error->message, ==, "AddInitialEim: associatedEimAlreadyExists (2)");
}

/* An eIM configuration built from fields (esimctl eim add with options): a
 * pinned public key and a CA certificate for TLS, accepted by the software
 * eUICC (written from the v1.2 module on its own) and read back decoded. */
static void
test_eim_from_fields (Fixture *f, gconstpointer user_data)
{
	static const gchar key_pem[] =
		"-----BEGIN PUBLIC KEY-----\n"
		"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/lhKb0UEWVdK7KGV0CmXN/dMibot\n"
		"Nt+Shuwl2XMDeg+6cNFN8+H30KMF5XuVtzHE3iGNLX+fIhE+1dGMLj3fHA==\n"
		"-----END PUBLIC KEY-----\n";
	g_autofree gchar *ca_path = g_test_build_filename (G_TEST_DIST, "crypto", "data", "sgp26",
	                                                   "CERT_CI_ECDSA_NIST.pem", NULL);
	g_autofree gchar *ca_pem = NULL;
	g_autoptr(GBytes) key = g_bytes_new_static (key_pem, strlen (key_pem));
	g_autoptr(GBytes) ca = NULL;
	g_autoptr(GBytes) config_der = NULL;
	g_autoptr(GArray) results = NULL;
	g_autoptr(GPtrArray) configs = NULL;
	g_autoptr(GError) error = NULL;
	gsize ca_len = 0;
	EsimEimConfigInput input = {
		.eim_id = "eim-1", .fqdn = "eim.example.com:8443", .id_type = -1, .counter_value = 0,
		.supported_protocols = ESIM_EIM_PROTOCOL_RETRIEVE_HTTPS,
		.indirect_profile_download = TRUE,
	};
	EsimEimConfig *config;

	g_assert_true (g_file_get_contents (ca_path, &ca_pem, &ca_len, &error));
	ca = g_bytes_new (ca_pem, ca_len);
	input.public_key = key;
	input.trusted_tls = ca;
	config_der = esim_es10_encode_eim_config (&input, &error);
	g_assert_no_error (error);

	esim_es10_add_initial_eim (f->isdr, config_der, NULL, async_done, f);
	results = esim_es10_add_initial_eim_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);
	g_assert_cmpuint (results->len, ==, 1);

	configs = get_eims (f, "eim-1");
	g_assert_cmpuint (configs->len, ==, 1);
	config = g_ptr_array_index (configs, 0);
	g_assert_cmpstr (config->fqdn, ==, "eim.example.com:8443");
	g_assert_true (config->indirect_profile_download);
	g_assert_cmpuint (config->supported_protocols, ==, ESIM_EIM_PROTOCOL_RETRIEVE_HTTPS);
	g_assert_cmpint (config->public_key_kind, ==, ESIM_EIM_KEY_PUBLIC_KEY);
	g_assert_cmpuint (g_bytes_get_size (config->public_key), ==, 91);
	g_assert_cmpint (config->trusted_tls_kind, ==, ESIM_EIM_KEY_CERTIFICATE);
	{
		gnutls_x509_crt_t crt;
		gnutls_datum_t datum = { (guchar *) g_bytes_get_data (config->trusted_tls, NULL),
		                         (guint) g_bytes_get_size (config->trusted_tls) };

		/* what comes back is the CA certificate itself, ready for TLS trust */
		g_assert_cmpint (gnutls_x509_crt_init (&crt), ==, 0);
		g_assert_cmpint (gnutls_x509_crt_import (crt, &datum, GNUTLS_X509_FMT_DER), ==, 0);
		gnutls_x509_crt_deinit (crt);
	}
}

static void
test_memory_reset (Fixture *f, gconstpointer user_data)
{
	EsimEs10Variant variant = GPOINTER_TO_INT (user_data);
	guint options = ESIM_RESET_DELETE_OPERATIONAL_PROFILES |
			ESIM_RESET_DELETE_FIELD_LOADED_TEST_PROFILES |
			ESIM_RESET_DELETE_PRELOADED_TEST_PROFILES;
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GError) error = NULL;

	esim_es10_memory_reset (f->isdr, variant, options, NULL, async_done, f);
	g_assert_true (esim_es10_memory_reset_finish (f->isdr, wait_result (f), &error));
	g_assert_no_error (error);
	profiles = get_profiles (f, NULL);
	if (variant == ESIM_ES10_VARIANT_SGP32) {
		g_assert_cmpuint (profiles->len, ==, 0);
	} else {
		/* SGP.22 has no preloaded-test bit: only field-loaded test
		 * profiles go, so at most the demo test profile stays */
		g_assert_cmpuint (profiles->len, <=, 1);
	}
	g_assert_cmpuint (esim_veuicc_get_n_profiles (f->card), ==, profiles->len);

	esim_es10_memory_reset (f->isdr, variant, options, NULL, async_done, f);
	g_assert_false (esim_es10_memory_reset_finish (f->isdr, wait_result (f), &error));
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_NOTHING_TO_DELETE);
	g_assert_cmpstr (error->message, ==, "eUICCMemoryReset: nothingToDelete (1)");
}

static void
test_reset_eim_config (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GBytes) v16 = esim_hex_decode (V16_REQUEST, NULL);
	g_autoptr(GArray) results = NULL;
	g_autoptr(GPtrArray) configs = NULL;
	g_autoptr(GError) error = NULL;

	esim_es10_add_initial_eim (f->isdr, v16, NULL, async_done, f);
	results = esim_es10_add_initial_eim_finish (f->isdr, wait_result (f), &error);
	g_assert_no_error (error);

	/* only the eIM configuration: the profile part has nothing to delete */
	esim_es10_memory_reset (f->isdr, ESIM_ES10_VARIANT_SGP32, ESIM_RESET_EIM_CONFIG_DATA, NULL,
				async_done, f);
	g_assert_true (esim_es10_memory_reset_finish (f->isdr, wait_result (f), &error));
	g_assert_no_error (error);
	configs = get_eims (f, NULL);
	g_assert_cmpuint (configs->len, ==, 0);
	g_assert_cmpuint (esim_veuicc_get_n_profiles (f->card), ==, 2);
}

/* ---- errors ---- */

static void
test_unknown_iccid (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;

	esim_es10_enable_profile (f->isdr, "89000000000000000001", FALSE, NULL, async_done, f);
	g_assert_false (esim_es10_enable_profile_finish (f->isdr, wait_result (f), &error));
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_NOT_FOUND);
	g_assert_cmpstr (error->message, ==, "EnableProfile: iccidOrAidNotFound (1)");
	g_clear_error (&error);

	esim_es10_disable_profile (f->isdr, "89000000000000000001", FALSE, NULL, async_done, f);
	g_assert_false (esim_es10_disable_profile_finish (f->isdr, wait_result (f), &error));
	g_assert_error (error, ESIM_ES10_ERROR, ESIM_ES10_ERROR_NOT_FOUND);
}

static void
test_malformed_iccid (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) profiles = NULL;
	EsimProfileSearch search = { .iccid = "89ABC", .profile_class = ESIM_PROFILE_CLASS_UNKNOWN };
	guint before = esim_isdr_get_apdu_count (f->isdr);

	/* refused before any APDU goes to the card */
	esim_es10_enable_profile (f->isdr, "89ABC", TRUE, NULL, async_done, f);
	g_assert_false (esim_es10_enable_profile_finish (f->isdr, wait_result (f), &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_assert_true (g_str_has_prefix (error->message, "EnableProfile: "));
	g_clear_error (&error);

	esim_es10_disable_profile (f->isdr, "", TRUE, NULL, async_done, f);
	g_assert_false (esim_es10_disable_profile_finish (f->isdr, wait_result (f), &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);

	esim_es10_delete_profile (f->isdr, "8944476500000000011234", NULL, async_done, f);
	g_assert_false (esim_es10_delete_profile_finish (f->isdr, wait_result (f), &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);

	esim_es10_set_nickname (f->isdr, "x", "name", NULL, async_done, f);
	g_assert_false (esim_es10_set_nickname_finish (f->isdr, wait_result (f), &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);

	esim_es10_get_profiles_info (f->isdr, &search, NULL, async_done, f);
	profiles = esim_es10_get_profiles_info_finish (f->isdr, wait_result (f), &error);
	g_assert_null (profiles);
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);
	g_clear_error (&error);

	esim_es10_get_eim_configuration_data (f->isdr, "", NULL, async_done, f);
	g_assert_null (esim_es10_get_eim_configuration_data_finish (f->isdr, wait_result (f), &error));
	g_assert_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT);

	g_assert_cmpuint (esim_isdr_get_apdu_count (f->isdr), ==, before);
}

static void
test_closed_session (Fixture *f, gconstpointer user_data)
{
	g_autoptr(GError) error = NULL;
	g_autofree gchar *eid = NULL;

	/* a call on a closed ISD-R session fails cleanly, naming the function */
	esim_isdr_close_async (f->isdr, NULL, async_done, f);
	g_assert_true (esim_isdr_close_finish (f->isdr, wait_result (f), &error));
	esim_es10_get_eid (f->isdr, NULL, async_done, f);
	eid = esim_es10_get_eid_finish (f->isdr, wait_result (f), &error);
	g_assert_null (eid);
	g_assert_nonnull (error);
	g_assert_true (g_str_has_prefix (error->message, "GetEID: "));
}

/* A card that cannot save a change answers 6581 and keeps its old state: the
 * client reports a memory error and sees the card unchanged. */
static void
test_failed_save (Fixture *f, gconstpointer user_data)
{
	g_autofree gchar *aside = g_build_filename (f->top, "aside", NULL);
	g_autoptr(GPtrArray) profiles = NULL;
	g_autoptr(GError) error = NULL;

	/* a file where the state directory was: not even root can write below it */
	g_assert_cmpint (g_rename (f->state_dir, aside), ==, 0);
	g_assert_true (g_file_set_contents (f->state_dir, "", 0, &error));
	g_assert_no_error (error);

	g_test_expect_message ("esim-veuicc", G_LOG_LEVEL_WARNING, "change not made: *");
	esim_es10_enable_profile (f->isdr, f->disabled_iccid, TRUE, NULL, async_done, f);
	g_assert_false (esim_es10_enable_profile_finish (f->isdr, wait_result (f), &error));
	g_test_assert_expected_messages ();
	g_assert_error (error, ESIM_APDU_ERROR, ESIM_APDU_ERROR_MEMORY);
	g_assert_true (g_str_has_prefix (error->message, "EnableProfile: "));
	g_clear_error (&error);
	profiles = get_profiles (f, NULL);
	g_assert_cmpint (get_profile (profiles, f->enabled_iccid)->state, ==, ESIM_PROFILE_STATE_ENABLED);
	g_assert_cmpint (get_profile (profiles, f->disabled_iccid)->state, ==, ESIM_PROFILE_STATE_DISABLED);
	g_assert_cmpuint (esim_veuicc_get_n_notifications (f->card), ==, 0);

	g_assert_cmpint (g_unlink (f->state_dir), ==, 0);
	g_assert_cmpint (g_rename (aside, f->state_dir), ==, 0);
	esim_es10_enable_profile (f->isdr, f->disabled_iccid, TRUE, NULL, async_done, f);
	g_assert_true (esim_es10_enable_profile_finish (f->isdr, wait_result (f), &error));
	g_assert_no_error (error);
}

int
main (int argc, char **argv)
{
	g_test_init (&argc, &argv, NULL);

#define ADD(path, func, data)                                                                   \
	g_test_add ("/esim/es10/card/" path, Fixture, data, fixture_setup, func, fixture_teardown)

	ADD ("get-eid", test_get_eid, NULL);
	ADD ("euicc-info", test_euicc_info, NULL);
	ADD ("profiles", test_profiles, NULL);
	ADD ("enable-disable", test_enable_disable, NULL);
	ADD ("delete", test_delete, NULL);
	ADD ("nickname", test_nickname, NULL);
	ADD ("notifications", test_notifications, NULL);
	ADD ("addresses", test_addresses, NULL);
	ADD ("rat", test_rat, NULL);
	ADD ("certs", test_certs, NULL);
	ADD ("eim", test_eim, NULL);
	ADD ("eim-from-fields", test_eim_from_fields, NULL);
	ADD ("memory-reset-sgp32", test_memory_reset, GINT_TO_POINTER (ESIM_ES10_VARIANT_SGP32));
	ADD ("memory-reset-sgp22", test_memory_reset, GINT_TO_POINTER (ESIM_ES10_VARIANT_SGP22));
	ADD ("memory-reset-eim", test_reset_eim_config, NULL);
	ADD ("unknown-iccid", test_unknown_iccid, NULL);
	ADD ("malformed-iccid", test_malformed_iccid, NULL);
	ADD ("closed-session", test_closed_session, NULL);

	g_test_add ("/esim/es10/card/failed-save", Fixture, NULL, fixture_setup_file, test_failed_save,
		    fixture_teardown);

#undef ADD
	return g_test_run ();
}
