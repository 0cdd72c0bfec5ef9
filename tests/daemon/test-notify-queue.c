/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * esimd's notification queue in-process (src/daemon/core/esimd-notify-queue.c):
 * an EsimdEuicc over a software eUICC of a test PKI, its state directory, and
 * the test SM-DP+ over HTTPS failing with HTTP 500.  What is checked is when
 * rounds run: with retries due, at the pace of the backoff and never faster;
 * not while the card is absent; again once it is back.
 */

#include <string.h>

#include <glib/gstdio.h>

#include "esim-channel-virtual.h"
#include "esim-test-pki.h"
#include "esim-test-smdp.h"
#include "esim-veuicc.h"
#include "esimd-auth.h"
#include "esimd-config.h"
#include "esimd-euicc.h"
#include "esimd-gdbus.h"
#include "esimd-store.h"
#include "net-test-util.h"

#define HOST "smdp.test"
/* the demo profile a new software eUICC has disabled */
#define ICCID_DISABLED "89444765000000000223"

typedef struct {
	gchar                    *dir;
	gchar                    *pki;
	EsimTestSmdp             *smdp;
	EsimdConfig              *config;
	EsimdStore               *store;
	EsimdAuth                *auth;
	GDBusObjectManagerServer *object_manager;
	EsimVeuicc               *card;
	EsimChannelVirtual       *channel;
	EsimdEuicc               *euicc;
} Fixture;

static void
rm_rf (const gchar *path)
{
	g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
	const gchar *name;

	while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
		g_autofree gchar *child = g_build_filename (path, name, NULL);

		if (g_file_test (child, G_FILE_TEST_IS_DIR))
			rm_rf (child);
		else
			g_unlink (child);
	}
	g_rmdir (path);
}

static void
store_result (GObject *source, GAsyncResult *res, gpointer user_data)
{
	*(GAsyncResult **) user_data = g_object_ref (res);
}

/* A card whose profiles notify the test SM-DP+. */
static void
make_card (Fixture *f)
{
	g_autofree gchar *path = g_build_filename (f->dir, "card.ini", NULL);
	g_autofree gchar *seed = g_strdup_printf ("[card]\ncredentials=%s\n", f->pki);
	g_autoptr(EsimVeuicc) made = NULL;
	g_autoptr(GKeyFile) kf = g_key_file_new ();
	g_autoptr(GError) error = NULL;

	g_assert_true (g_file_set_contents (path, seed, -1, &error));
	made = esim_veuicc_new_from_file (path, FALSE, &error);
	g_assert_no_error (error);
	g_clear_object (&made);
	g_assert_true (g_key_file_load_from_file (kf, path, G_KEY_FILE_KEEP_COMMENTS, &error));
	for (guint i = 0; i < 2; i++) {
		g_autofree gchar *group = g_strdup_printf ("profile %u", i);

		g_key_file_set_string (kf, group, "notification-address",
		                       esim_test_smdp_get_address (f->smdp));
	}
	g_assert_true (g_key_file_save_to_file (kf, path, &error));
	f->card = esim_veuicc_new_from_file (path, FALSE, &error);
	g_assert_no_error (error);
}

static void
copy_ci (const gchar *pki, const gchar *dir)
{
	g_autofree gchar *from = g_build_filename (pki, "CertificateIssuer", "CERT_CI_ECDSA_NIST.der",
	                                           NULL);
	g_autofree gchar *to = g_build_filename (dir, "CERT_CI_ECDSA_NIST.der", NULL);
	g_autofree gchar *der = NULL;
	g_autoptr(GError) error = NULL;
	gsize len = 0;

	g_assert_cmpint (g_mkdir_with_parents (dir, 0700), ==, 0);
	g_assert_true (g_file_get_contents (from, &der, &len, &error));
	g_assert_true (g_file_set_contents (to, der, (gssize) len, &error));
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	EsimTestPkiOptions pki = { .smdp_host = HOST };
	EsimTestSmdpOptions options = { .host = HOST };
	g_autofree gchar *state = NULL;
	g_autoptr(GAsyncResult) probed = NULL;
	g_autoptr(GError) error = NULL;

	f->dir = g_dir_make_tmp ("test-notify-queue-XXXXXX", &error);
	g_assert_no_error (error);
	f->pki = g_build_filename (f->dir, "pki", NULL);
	g_assert_true (esim_test_pki_write (f->pki, &pki, NULL, &error));
	options.pki_dir = f->pki;
	f->smdp = esim_test_smdp_new (&options, &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_smdp_listen (f->smdp, "127.0.0.1:0", &error));
	esim_test_smdp_set_http_error (f->smdp, "handleNotification", 500);
	make_card (f);

	f->config = esimd_config_new ();
	/* the CI certificate alone: its directory also holds the CI's key, which the CI
	 * store would warn about */
	f->config->test_ci_dir = g_build_filename (f->dir, "ci", NULL);
	copy_ci (f->pki, f->config->test_ci_dir);
	f->config->notify_retry_initial_s = 1;
	f->config->notify_retry_max_s = 1;
	state = g_build_filename (f->dir, "state", NULL);
	f->store = esimd_store_open (state, &error);
	g_assert_no_error (error);
	f->auth = esimd_auth_new (FALSE);
	f->object_manager = g_dbus_object_manager_server_new ("/org/freedesktop/Esimd1");
	f->channel = esim_channel_virtual_new (f->card);
	f->euicc = esimd_euicc_new (f->object_manager, f->auth, f->config, ESIM_CHANNEL (f->channel));
	esimd_euicc_set_store (f->euicc, f->store);
	esimd_euicc_probe_async (f->euicc, NULL, store_result, &probed);
	esim_test_wait_until (probed != NULL, "the probe");
	g_assert_true (esimd_euicc_probe_finish (f->euicc, probed, &error));
	esimd_euicc_export (f->euicc);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	g_autoptr(GAsyncResult) closed = NULL;

	esimd_euicc_close_async (f->euicc, store_result, &closed);
	esim_test_wait_until (closed != NULL, "the eUICC to close");
	g_clear_object (&f->euicc);
	g_clear_object (&f->channel);
	g_clear_object (&f->card);
	g_clear_object (&f->object_manager);
	g_clear_object (&f->auth);
	esimd_store_free (f->store);
	esimd_config_free (f->config);
	g_clear_object (&f->smdp);
	rm_rf (f->dir);
	g_free (f->dir);
	g_free (f->pki);
}

static guint
requests (Fixture *f)
{
	return esim_test_smdp_get_request_count (f->smdp, "handleNotification");
}

static gchar *
euicc_state (Fixture *f)
{
	g_autoptr(GDBusInterface) iface = NULL;

	iface = g_dbus_object_manager_get_interface (G_DBUS_OBJECT_MANAGER (f->object_manager),
	                                             esimd_euicc_get_path (f->euicc),
	                                             "org.freedesktop.Esimd1.Euicc");
	g_assert_nonnull (iface);
	return g_strdup (esimd_gdbus_euicc_get_state (ESIMD_GDBUS_EUICC (iface)));
}

/* The server fails for good: the retries come at the backoff's pace (1 s here), not in a
 * loop; a card taken away stops them, and they resume when it is back. */
static void
test_retries_follow_the_card (Fixture *f, gconstpointer data)
{
	g_autoptr(GAsyncResult) enabled = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *state = NULL;
	guint before;

	esimd_euicc_request_async (f->euicc, ESIMD_OP_ENABLE_PROFILE, ICCID_DISABLED, NULL,
	                           store_result, &enabled);
	esim_test_wait_until (enabled != NULL, "the profile switch");
	g_assert_true (esimd_euicc_request_finish (f->euicc, enabled, NULL, &error));
	esim_test_wait_until (requests (f) >= 1, "the first delivery attempt");

	/* three seconds of a server that answers 500: about one round per second */
	before = requests (f);
	esim_test_spin (3000);
	g_assert_cmpuint (requests (f), >=, before + 1);
	g_assert_cmpuint (requests (f), <=, before + 4);

	/* no card: no round */
	esimd_euicc_set_card_present (f->euicc, FALSE);
	state = euicc_state (f);
	g_assert_cmpstr (state, ==, "absent");
	/* a round already on its way may still reach the server; none starts after it */
	esim_test_spin (500);
	before = requests (f);
	esim_test_spin (2500);
	g_assert_cmpuint (requests (f), ==, before);

	/* back, and the server too: delivered without anyone asking */
	esim_test_smdp_set_http_error (f->smdp, "handleNotification", 0);
	esimd_euicc_set_card_present (f->euicc, TRUE);
	esim_test_wait_until (esim_test_smdp_get_notifications (f->smdp)->len == 2,
	                      "the notifications to reach the SM-DP+ after the card came back "
	                      "(%u)", esim_test_smdp_get_notifications (f->smdp)->len);
	esim_test_wait_until (esim_veuicc_get_n_notifications (f->card) == 0,
	                      "the card to have no notification left");
}

int
main (int argc, char *argv[])
{
	net_test_init ();
	g_test_init (&argc, &argv, NULL);
	/* esimd warns about failed deliveries, which this test provokes: criticals stay fatal */
	g_log_set_always_fatal (G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
	g_test_add ("/esimd/notify-queue/retries-follow-the-card", Fixture, NULL, fixture_setup,
	            test_retries_follow_the_card, fixture_teardown);
	return g_test_run ();
}
