/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The real esimd against a fake ModemManager on the private bus and fake QMI,
 * MBIM and AT modems on pseudo-terminals, each backed by a software eUICC.
 * The fakes live in this process and are served by its main loop, which the
 * harness iterates while it waits for esimd or esimcli: every call to esimd
 * is therefore asynchronous or made through esimcli, never a blocking call.
 */

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "esim-test-eim.h"
#include "esim-test-pki.h"
#include "esim-test-smdp.h"
#include "esim-veuicc.h"
#include "esimd-gdbus.h"
#include "esimd-test-harness.h"
#include "fake-modemmanager.h"
#ifdef HAVE_FAKE_QMI
#include "fake-qmi-modem.h"
#endif
#ifdef HAVE_FAKE_MBIM
#include "fake-mbim-modem.h"
#endif
#ifdef HAVE_FAKE_AT
#include "fake-at-modem.h"
#endif

/* gdbus-codegen declares cleanup functions for the proxy and skeleton classes only */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimdGdbusEuicc, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimdGdbusProfile, g_object_unref)

#define WAIT_MS           15000
#define ICCID_OPERATIONAL "8944476500000000013"   /* enabled on a fresh software eUICC */
#define ICCID_TEST        "89444765000000000223"  /* disabled */
#define MODEM_MANUFACTURER "Quectel"
#define MODEM_MODEL        "EG25-GL"
#define MODEM_VID          "2c7c"
#define MODEM_PID          "0125"

/* Helpers marked G_GNUC_UNUSED serve only the cases of transports a build
 * may lack (-Dqmi=disabled, -Dmbim=disabled). */

typedef struct {
	EsimdTestHarness   *h;
	FakeModemManager   *mm;
	EsimVeuicc         *card;
	EsimVeuicc         *card2;
	gchar              *usb_dir;   /* Modem.Device: a sysfs-like directory with the USB ids */
	FakeMmModem        *modem;
#ifdef HAVE_FAKE_QMI
	FakeQmiModem       *qmi;
#endif
#ifdef HAVE_FAKE_MBIM
	FakeMbimModem      *mbim;
#endif
#ifdef HAVE_FAKE_AT
	FakeAtModem        *at;
#endif
	gchar              *dev_dir;   /* under /dev/shm: other names for a modem's port */
	GDBusObjectManager *objects;   /* esimd's objects, once it runs */
	EsimdGdbusManager  *manager;
	gchar              *saved_datadir;
	guint               sim_reset_delay_ms;
	gboolean            garble_after_reset; /* answers garbled once the card reset */
} Fixture;

/* ---- fixture ---- */

static EsimVeuicc *
new_card (Fixture *f, const gchar *name)
{
	g_autofree gchar *path = g_build_filename (esimd_test_harness_get_tmpdir (f->h), name, NULL);
	g_autoptr(GError) error = NULL;
	EsimVeuicc *card = esim_veuicc_new_from_file (path, TRUE, &error);

	g_assert_no_error (error);
	return card;
}

static void
write_config (Fixture *f, const gchar *extra)
{
	g_autofree gchar *path = esimd_test_harness_config_path (f->h);
	g_autofree gchar *text = NULL;

	/* the fakes are opened directly: there is no qmi-proxy or mbim-proxy here */
	text = g_strdup_printf ("[modem]\nUseProxy=false\nSwitchTimeout=10\n%s",
	                        extra != NULL ? extra : "");
	g_assert_true (g_file_set_contents (path, text, -1, NULL));
}

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
	g_autofree gchar *vid = NULL;
	g_autofree gchar *pid = NULL;

	f->h = esimd_test_harness_new (ESIMD_TEST_BUS_SESSION);
	f->mm = fake_modemmanager_new (esimd_test_harness_get_connection (f->h));
	f->card = new_card (f, "modem-card.ini");
	f->usb_dir = g_build_filename (esimd_test_harness_get_tmpdir (f->h), "usb-1-2", NULL);
	g_assert_cmpint (g_mkdir (f->usb_dir, 0755), ==, 0);
	vid = g_build_filename (f->usb_dir, "idVendor", NULL);
	pid = g_build_filename (f->usb_dir, "idProduct", NULL);
	g_assert_true (g_file_set_contents (vid, MODEM_VID "\n", -1, NULL));
	g_assert_true (g_file_set_contents (pid, MODEM_PID "\n", -1, NULL));
	f->saved_datadir = g_strdup (g_getenv ("ESIMD_DATADIR"));
	write_config (f, NULL);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
	g_clear_object (&f->objects);
	g_clear_object (&f->manager);
	/* esimd closes its channels through the fakes: they go after it */
	esimd_test_harness_stop_daemon (f->h);
	fake_modemmanager_free (f->mm);
#ifdef HAVE_FAKE_QMI
	g_clear_pointer (&f->qmi, fake_qmi_modem_free);
#endif
#ifdef HAVE_FAKE_MBIM
	g_clear_pointer (&f->mbim, fake_mbim_modem_free);
#endif
#ifdef HAVE_FAKE_AT
	g_clear_pointer (&f->at, fake_at_modem_free);
#endif
	g_clear_object (&f->card);
	g_clear_object (&f->card2);
	if (f->dev_dir != NULL) {
		g_autoptr(GDir) dir = g_dir_open (f->dev_dir, 0, NULL);
		const gchar *name;

		while (dir != NULL && (name = g_dir_read_name (dir)) != NULL) {
			g_autofree gchar *path = g_build_filename (f->dev_dir, name, NULL);
			g_unlink (path);
		}
		g_rmdir (f->dev_dir);
		g_free (f->dev_dir);
	}
	g_free (f->usb_dir);
	if (f->saved_datadir != NULL)
		g_setenv ("ESIMD_DATADIR", f->saved_datadir, TRUE);
	g_free (f->saved_datadir);
	esimd_test_harness_free (f->h);
}

static FakeMmModem *
add_modem (Fixture *f, const gchar *qmi_port, const gchar *mbim_port, const gchar *at_port,
           guint n_slots, guint primary_slot)
{
	FakeMmModemInfo info = {
		.device = f->usb_dir,
		.manufacturer = MODEM_MANUFACTURER,
		.model = MODEM_MODEL,
		.qmi_port = qmi_port,
		.mbim_port = mbim_port,
		.at_port = at_port,
		.n_slots = n_slots,
		.primary_slot = primary_slot,
	};

	return fake_modemmanager_add_modem (f->mm, &info);
}

static void
got_async_result (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GAsyncResult **out = user_data;

	*out = g_object_ref (res);
}

static gboolean
async_result_ready (gpointer user_data)
{
	return *(GAsyncResult **) user_data != NULL;
}

/* This process hosts the fake ModemManager and the fake modems: it must keep
 * its main loop running while it waits for esimd, or esimd (busy probing a
 * fake modem) and the test could wait on each other.  So no _sync calls. */
static void
start_daemon (Fixture *f)
{
	GDBusConnection *connection = esimd_test_harness_get_connection (f->h);
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;

	esimd_test_harness_start_daemon (f->h, 0, NULL);
	esimd_gdbus_object_manager_client_new (connection,
		G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START, ESIMD_TEST_BUS_NAME,
		ESIMD_TEST_ROOT_PATH, NULL, got_async_result, &res);
	esim_test_wait_until_func (30000, async_result_ready, &res, "esimd's object manager");
	f->objects = esimd_gdbus_object_manager_client_new_finish (res, &error);
	g_assert_no_error (error);
	g_clear_object (&res);
	esimd_gdbus_manager_proxy_new (connection, G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START,
		ESIMD_TEST_BUS_NAME, ESIMD_TEST_ROOT_PATH, NULL, got_async_result, &res);
	esim_test_wait_until_func (30000, async_result_ready, &res, "esimd's Manager");
	f->manager = esimd_gdbus_manager_proxy_new_finish (res, &error);
	g_assert_no_error (error);
}

G_GNUC_UNUSED static void
stop_daemon (Fixture *f)
{
	g_clear_object (&f->objects);
	g_clear_object (&f->manager);
	esimd_test_harness_stop_daemon (f->h);
}

/* ---- esimd's objects ---- */

/* The first eUICC over @transport (NULL: any) whose State is @state (NULL: any). */
static EsimdGdbusEuicc *
find_euicc_in_state (Fixture *f, const gchar *transport, const gchar *state)
{
	g_autolist(GDBusObject) objects = g_dbus_object_manager_get_objects (f->objects);

	for (GList *l = objects; l != NULL; l = l->next) {
		EsimdGdbusEuicc *euicc = esimd_gdbus_object_get_euicc (ESIMD_GDBUS_OBJECT (l->data));

		if (euicc == NULL)
			continue;
		if ((transport == NULL ||
		     g_strcmp0 (esimd_gdbus_euicc_get_transport (euicc), transport) == 0) &&
		    (state == NULL || g_strcmp0 (esimd_gdbus_euicc_get_state (euicc), state) == 0))
			return euicc;
		g_object_unref (euicc);
	}
	return NULL;
}

static EsimdGdbusEuicc *
find_euicc (Fixture *f, const gchar *transport)
{
	return find_euicc_in_state (f, transport, NULL);
}

static guint
count_euiccs (Fixture *f)
{
	g_autolist(GDBusObject) objects = g_dbus_object_manager_get_objects (f->objects);
	guint n = 0;

	for (GList *l = objects; l != NULL; l = l->next) {
		g_autoptr(EsimdGdbusEuicc) euicc = esimd_gdbus_object_get_euicc (l->data);
		if (euicc != NULL)
			n++;
	}
	return n;
}

typedef struct {
	Fixture     *f;
	const gchar *transport;
	const gchar *state;
} EuiccWait;

static gboolean
euicc_in_state (gpointer user_data)
{
	EuiccWait *wait = user_data;
	g_autoptr(EsimdGdbusEuicc) euicc = find_euicc_in_state (wait->f, wait->transport,
	                                                        wait->state);
	return euicc != NULL;
}

/* The eUICC over @transport once its State is @state (NULL: any). */
static EsimdGdbusEuicc *
wait_euicc (Fixture *f, const gchar *transport, const gchar *state)
{
	EuiccWait wait = { f, transport, state };

	if (!esim_test_wait_try (WAIT_MS, euicc_in_state, &wait)) {
		g_autoptr(EsimdGdbusEuicc) euicc = find_euicc (f, transport);

		g_printerr ("the %s eUICC is in State %s\n", transport,
		            euicc != NULL ? esimd_gdbus_euicc_get_state (euicc) : "(none)");
		esim_test_wait_fail (WAIT_MS, "a %s eUICC in State %s", transport,
		                     state != NULL ? state : "(any)");
	}
	return find_euicc_in_state (f, transport, state);
}

static gboolean
no_euicc (gpointer user_data)
{
	EuiccWait *wait = user_data;
	g_autoptr(EsimdGdbusEuicc) euicc = find_euicc (wait->f, wait->transport);

	return euicc == NULL;
}

G_GNUC_UNUSED static void
wait_no_euicc (Fixture *f, const gchar *transport)
{
	EuiccWait wait = { f, transport, NULL };

	esim_test_wait_until_func (WAIT_MS, no_euicc, &wait, "the %s eUICC to go", transport);
}

/* State of the profile @iccid as esimd shows it, NULL if it has none. */
static const gchar *
profile_state (Fixture *f, const gchar *iccid)
{
	g_autolist(GDBusObject) objects = g_dbus_object_manager_get_objects (f->objects);

	for (GList *l = objects; l != NULL; l = l->next) {
		g_autoptr(EsimdGdbusProfile) profile = esimd_gdbus_object_get_profile (l->data);

		if (profile != NULL && g_strcmp0 (esimd_gdbus_profile_get_iccid (profile), iccid) == 0)
			return g_intern_string (esimd_gdbus_profile_get_state (profile));
	}
	return NULL;
}

typedef struct {
	Fixture     *f;
	const gchar *iccid;
	const gchar *state;
} ProfileWait;

static gboolean
profile_in_state (gpointer user_data)
{
	ProfileWait *wait = user_data;
	return g_strcmp0 (profile_state (wait->f, wait->iccid), wait->state) == 0;
}

static void
assert_profile_state (Fixture *f, const gchar *iccid, const gchar *state)
{
	ProfileWait wait = { f, iccid, state };

	if (!esim_test_wait_try (WAIT_MS, profile_in_state, &wait)) {
		g_printerr ("profile %s is %s\n", iccid, profile_state (f, iccid));
		esim_test_wait_fail (WAIT_MS, "profile %s to be %s", iccid, state);
	}
}

typedef struct {
	EsimdGdbusEuicc *euicc;
	FakeMmModem     *modem;
} ModemPathWait;

static gboolean
euicc_follows_modem (gpointer user_data)
{
	ModemPathWait *wait = user_data;
	return g_strcmp0 (esimd_gdbus_euicc_get_modem (wait->euicc),
	                  fake_mm_modem_get_path (wait->modem)) == 0;
}

/* Waits until @euicc's Modem is the fake modem's current path. */
static void
assert_follows_modem (Fixture *f, EsimdGdbusEuicc *euicc, FakeMmModem *modem)
{
	ModemPathWait wait = { euicc, modem };

	if (!esim_test_wait_try (WAIT_MS, euicc_follows_modem, &wait)) {
		g_printerr ("Modem is %s\n", esimd_gdbus_euicc_get_modem (euicc));
		esim_test_wait_fail (WAIT_MS, "the eUICC's Modem to become %s",
		                     fake_mm_modem_get_path (modem));
	}
}

typedef struct {
	Fixture *f;
	guint    n;
} ListedWait;

static gboolean
n_listed_is (gpointer user_data)
{
	ListedWait *wait = user_data;
	const gchar *const *paths = esimd_gdbus_manager_get_euiccs (wait->f->manager);

	return (paths != NULL ? g_strv_length ((gchar **) paths) : 0) == wait->n;
}

/* Waits until Manager.Euiccs lists @n eUICCs. */
G_GNUC_UNUSED static void
assert_n_listed (Fixture *f, guint n)
{
	ListedWait wait = { f, n };
	esim_test_wait_until_func (WAIT_MS, n_listed_is, &wait,
	                           "Manager.Euiccs to list %u eUICCs", n);
}

static gboolean
mm_running_is (Fixture *f, gboolean running)
{
	return esimd_gdbus_manager_get_modem_manager_running (f->manager) == running;
}

static gboolean
mm_running (gpointer user_data)
{
	return mm_running_is (user_data, TRUE);
}

static gboolean
mm_not_running (gpointer user_data)
{
	return mm_running_is (user_data, FALSE);
}

/* ---- asynchronous calls to esimd ---- */

typedef struct {
	gboolean  done;
	GVariant *reply;
	GError   *error;
} Call;

static void
call_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	Call *call = user_data;

	call->reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), res, &call->error);
	call->done = TRUE;
}

G_GNUC_UNUSED static void
call_start (Fixture *f, Call *call, const gchar *path, const gchar *method, GVariant *args)
{
	memset (call, 0, sizeof (*call));
	g_dbus_connection_call (esimd_test_harness_get_connection (f->h), ESIMD_TEST_BUS_NAME, path,
	                        "org.freedesktop.Esimd1.Euicc", method, args, NULL,
	                        G_DBUS_CALL_FLAGS_NO_AUTO_START, 60000, NULL, call_done, call);
}

static gboolean
call_is_done (gpointer user_data)
{
	return ((Call *) user_data)->done;
}

G_GNUC_UNUSED static void
call_wait (Fixture *f, Call *call)
{
	esim_test_wait_until_func (WAIT_MS, call_is_done, call, "the call to esimd to return");
}

/* The error esimd gives a caller whose modem went away. */
G_GNUC_UNUSED static void
assert_modem_removed (const GError *error)
{
	g_autofree gchar *name = NULL;

	g_assert_nonnull (error);
	name = g_dbus_error_get_remote_error (error);
	g_assert_cmpstr (name, ==, "org.freedesktop.Esimd1.Error.CardError");
	g_assert_nonnull (strstr (error->message, "the modem was removed"));
}

G_GNUC_UNUSED static void
call_clear (Call *call)
{
	g_clear_pointer (&call->reply, g_variant_unref);
	g_clear_error (&call->error);
}

/* ---- esimcli ---- */

static gchar *
cli (Fixture *f, gint expected_status, gchar **err_out, const gchar *first, ...)
	G_GNUC_NULL_TERMINATED;

static gchar *
cli (Fixture *f, gint expected_status, gchar **err_out, const gchar *first, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new ();
	g_autofree gchar *err = NULL;
	gchar *out;
	gint status = -1;
	va_list args;

	va_start (args, first);
	for (const gchar *arg = first; arg != NULL; arg = va_arg (args, const gchar *))
		g_ptr_array_add (argv, (gpointer) arg);
	va_end (args);
	g_ptr_array_add (argv, NULL);
	out = esimd_test_harness_run_cli_argv (f->h, (const gchar *const *) argv->pdata, &status,
	                                       &err);
	if (status != expected_status) {
		g_printerr ("esimcli exited %d, expected %d\nstdout: %s\nstderr: %s\n", status,
		            expected_status, out, err);
		g_assert_cmpint (status, ==, expected_status);
	}
	if (err_out != NULL)
		*err_out = g_steal_pointer (&err);
	return out;
}

/* ---- InhibitDevice log ---- */

G_GNUC_UNUSED static void
assert_inhibit_log (Fixture *f, const gchar *const *expected)
{
	GPtrArray *log = fake_modemmanager_get_inhibit_log (f->mm);
	guint n = g_strv_length ((gchar **) expected);

	for (guint i = 0; i < log->len || i < n; i++) {
		g_autofree gchar *want = i < n ? g_strdup_printf ("%s:%s", f->usb_dir, expected[i]) :
		                                 NULL;
		const gchar *got = i < log->len ? g_ptr_array_index (log, i) : NULL;

		g_assert_cmpstr (got, ==, want);
	}
}

static gboolean
modem_exported (gpointer user_data)
{
	return fake_mm_modem_get_path (user_data) != NULL;
}

static gboolean
log_contains (Fixture *f, const gchar *text)
{
	g_autofree gchar *log = esimd_test_harness_read_log (f->h);
	return strstr (log, text) != NULL;
}

typedef struct {
	Fixture     *f;
	const gchar *text;
} LogWait;

static gboolean
log_has (gpointer user_data)
{
	LogWait *wait = user_data;
	return log_contains (wait->f, wait->text);
}

G_GNUC_UNUSED static gboolean
skip_without (gboolean have, const gchar *what)
{
	if (have)
		return FALSE;
	g_test_skip (what);
	return TRUE;
}

#ifdef HAVE_FAKE_QMI
#define HAVE_QMI TRUE
#else
#define HAVE_QMI FALSE
#endif
#ifdef HAVE_FAKE_MBIM
#define HAVE_MBIM TRUE
#else
#define HAVE_MBIM FALSE
#endif
#ifdef HAVE_FAKE_AT
#define HAVE_AT TRUE
#else
#define HAVE_AT FALSE
#endif

/* ---- tests needing no modem backend ---- */

static void
test_no_modemmanager (Fixture *f, gconstpointer data)
{
	LogWait wait = { f, "ModemManager is not running; waiting for it" };
	g_autofree gchar *out = NULL;

	start_daemon (f);
	esim_test_wait_until_func (WAIT_MS, log_has, &wait, "the esimd log to say \"%s\"", wait.text);
	g_assert_false (esimd_gdbus_manager_get_modem_manager_running (f->manager));
	g_assert_cmpuint (count_euiccs (f), ==, 0);
	out = cli (f, 0, NULL, "-g", "modemmanager", "general", "status", NULL);
	g_assert_cmpstr (out, ==, "not running\n");

	/* ModemManager appears: esimd says so and follows it */
	fake_modemmanager_start (f->mm);
	esim_test_wait_until_func (WAIT_MS, mm_running, f, "esimd to see ModemManager running");
	g_clear_pointer (&out, g_free);
	out = cli (f, 0, NULL, "-g", "modemmanager", "general", "status", NULL);
	g_assert_cmpstr (out, ==, "running\n");
	wait.text = "ModemManager 1.20.4-fake is running";
	esim_test_wait_until_func (WAIT_MS, log_has, &wait, "the esimd log to say \"%s\"", wait.text);

	/* and again without it */
	fake_modemmanager_stop (f->mm);
	esim_test_wait_until_func (WAIT_MS, mm_not_running, f, "esimd to see ModemManager gone");
}

static void
test_virtual_only (Fixture *f, gconstpointer data)
{
	const gchar *const args[] = { NULL };
	g_autofree gchar *card = esimd_test_harness_card_path (f->h, 0);
	g_autofree gchar *log = NULL;

	/* a command line naming the eUICCs leaves the modems alone */
	fake_modemmanager_start (f->mm);
	fake_mm_modem_set_sim (add_modem (f, NULL, NULL, "/dev/ttyUSB2", 0, 0), 0,
	                       MM_SIM_TYPE_ESIM, MM_SIM_ESIM_STATUS_WITH_PROFILES, NULL);
	esimd_test_harness_start_daemon (f->h, 1, args);
	esim_test_spin (500);
	log = esimd_test_harness_read_log (f->h);
	g_assert_null (strstr (log, "inhibiting"));
	g_assert_null (strstr (log, "ttyUSB2"));
	g_assert_cmpuint (fake_modemmanager_get_inhibit_log (f->mm)->len, ==, 0);
	g_assert_true (g_file_test (card, G_FILE_TEST_EXISTS));
}

static void
test_pcsc_option (Fixture *f, gconstpointer data)
{
#ifdef WITH_PCSC
	const gchar *const args[] = { "--pcsc-reader=No Such Reader", NULL };
	LogWait wait = { f, "PC/SC readers: " };

	/* a reader that cannot be used is logged and skipped; modems are left alone */
	fake_modemmanager_start (f->mm);
	esimd_test_harness_start_daemon (f->h, 0, args);
	esim_test_wait_until_func (WAIT_MS, log_has, &wait, "the esimd log to say \"%s\"", wait.text);
	g_assert_false (log_contains (f, "is running"));
#else
	g_autofree gchar *err = NULL;
	gint status;

	/* the option is known, and says why it cannot work */
	status = esimd_test_harness_run_daemon_sync (f->h, &err, "--session",
	                                             "--pcsc-reader=Reader", NULL);
	g_assert_cmpint (status, ==, 2);
	g_assert_nonnull (strstr (err, "built without PC/SC support"));
#endif
}

static void
test_config_errors (Fixture *f, gconstpointer data)
{
	const struct {
		const gchar *text;
		const gchar *message;
	} cases[] = {
		{ "[modem]\nEnabled=maybe\n", "[modem] Enabled: invalid value \"maybe\"" },
		{ "[modem]\nSwitchTimeout=1\n", "[modem] SwitchTimeout: invalid value \"1\"" },
		{ "[modem]\nInhibitOnSwitch=sometimes\n", "[modem] InhibitOnSwitch" },
		{ "[modem:EG25-GL]\nResetAfterSwitch=reboot\n",
		  "[modem:EG25-GL] ResetAfterSwitch: invalid value \"reboot\" (expected none, card or "
		  "modem)" },
		{ "[modem:2c7c:0125]\nRefresh=perhaps\n", "[modem:2c7c:0125] Refresh" },
		{ "[pcsc]\nAutoDetect=2\n", "[pcsc] AutoDetect" },
	};
	g_autofree gchar *config = esimd_test_harness_config_path (f->h);
	g_autofree gchar *option = g_strdup_printf ("--config=%s", config);

	for (guint i = 0; i < G_N_ELEMENTS (cases); i++) {
		g_autofree gchar *err = NULL;

		g_assert_true (g_file_set_contents (config, cases[i].text, -1, NULL));
		g_assert_cmpint (esimd_test_harness_run_daemon_sync (f->h, &err, "--session", option,
		                                                     NULL), ==, 1);
		if (strstr (err, cases[i].message) == NULL) {
			g_printerr ("expected \"%s\" in: %s\n", cases[i].message, err);
			g_assert_not_reached ();
		}
	}
}

/* ---- QMI ---- */

#ifdef HAVE_FAKE_QMI
static gboolean
late_sim_reset_cb (gpointer user_data)
{
	Fixture *f = user_data;

	if (f->modem != NULL)
		fake_mm_modem_sim_reset (f->modem, 0, 300);
	return G_SOURCE_REMOVE;
}

static void
qmi_card_reset_cb (FakeQmiModem *qmi, guint slot, gpointer user_data)
{
	Fixture *f = user_data;

	if (f->garble_after_reset)
		fake_qmi_modem_set_malformed_apdu_response (qmi, TRUE);
	/* ModemManager notices the card reset: the SIM object goes and comes back,
	 * at once or (f->sim_reset_delay_ms) after esimd is done with the card */
	if (f->sim_reset_delay_ms > 0)
		g_timeout_add (f->sim_reset_delay_ms, late_sim_reset_cb, f);
	else if (f->modem != NULL)
		fake_mm_modem_sim_reset (f->modem, 0, 300);
}

/* A QMI modem whose single SIM is f->card, with ModemManager running. */
static void
set_up_qmi_modem (Fixture *f)
{
	g_autoptr(GError) error = NULL;

	f->qmi = fake_qmi_modem_new (f->card, NULL, 1, &error);
	g_assert_no_error (error);
	f->modem = add_modem (f, fake_qmi_modem_get_port (f->qmi), NULL, "/dev/ttyUSB2", 0, 0);
	fake_mm_modem_set_sim (f->modem, 0, MM_SIM_TYPE_ESIM, MM_SIM_ESIM_STATUS_WITH_PROFILES,
	                       esim_veuicc_get_eid (f->card));
	fake_qmi_modem_set_reset_after_switch (f->qmi, TRUE);
	fake_qmi_modem_set_card_reset_func (f->qmi, qmi_card_reset_cb, f);
}
#endif

static void
test_qmi_appears (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_QMI
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *expected = NULL;

	set_up_qmi_modem (f);
	/* esimd first, ModemManager later */
	start_daemon (f);
	g_assert_cmpuint (count_euiccs (f), ==, 0);
	fake_modemmanager_start (f->mm);

	euicc = wait_euicc (f, "qmi", "ready");
	g_assert_cmpstr (esimd_gdbus_euicc_get_modem (euicc), ==, fake_mm_modem_get_path (f->modem));
	g_assert_cmpstr (esimd_gdbus_euicc_get_modem_model (euicc), ==,
	                 MODEM_MANUFACTURER " " MODEM_MODEL);
	g_assert_cmpuint (esimd_gdbus_euicc_get_slot (euicc), ==, 0);
	g_assert_cmpstr (esimd_gdbus_euicc_get_eid (euicc), ==, esim_veuicc_get_eid (f->card));
	esim_test_wait_until_func (WAIT_MS, mm_running, f, "esimd to see ModemManager running");
	g_assert_cmpstr (profile_state (f, ICCID_OPERATIONAL), ==, "enabled");

	out = cli (f, 0, NULL, "-t", "-f", "TRANSPORT,MODEM,MODEL,SLOT,STATE", "euicc", "list",
	           NULL);
	expected = g_strdup_printf ("qmi:%u:" MODEM_MANUFACTURER " " MODEM_MODEL "::ready\n",
	                            fake_mm_modem_get_index (f->modem));
	g_assert_cmpstr (out, ==, expected);
	g_clear_pointer (&out, g_free);
	out = cli (f, 0, NULL, "euicc", "list", NULL);
	g_assert_true (g_str_has_prefix (out, "INDEX"));
	g_assert_nonnull (strstr (out, "MODEL"));
	g_assert_nonnull (strstr (out, "qmi"));
	/* nothing was inhibited just to read the card over QMI */
	g_assert_cmpuint (fake_modemmanager_get_inhibit_log (f->mm)->len, ==, 0);
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->qmi), ==, 1);
#else
	skip_without (HAVE_QMI, "built without QMI support");
#endif
}

static void
test_qmi_enable (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_QMI
	const gchar *const once[] = { "1", "0", NULL };
	const gchar *const twice[] = { "1", "0", "1", "0", NULL };
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autofree gchar *before = NULL;
	g_autofree gchar *out = NULL;
	guint resets;

	set_up_qmi_modem (f);
	fake_modemmanager_start (f->mm);
	start_daemon (f);
	euicc = wait_euicc (f, "qmi", "ready");
	before = g_strdup (esimd_gdbus_euicc_get_modem (euicc));
	resets = fake_qmi_modem_get_n_card_resets (f->qmi);

	/* the card resets after the switch; esimd reopens, re-reads, releases the modem */
	out = cli (f, 0, NULL, "profile", "enable", ICCID_TEST, NULL);
	assert_inhibit_log (f, once);
	g_assert_false (fake_modemmanager_is_inhibited (f->mm, f->usb_dir));
	g_assert_cmpuint (fake_qmi_modem_get_n_card_resets (f->qmi), >, resets);
	assert_profile_state (f, ICCID_TEST, "enabled");
	assert_profile_state (f, ICCID_OPERATIONAL, "disabled");
	/* ModemManager probed the modem again: a new object path, which esimd follows */
	g_assert_cmpstr (fake_mm_modem_get_path (f->modem), !=, before);
	assert_follows_modem (f, euicc, f->modem);
	g_clear_object (&euicc);
	euicc = wait_euicc (f, "qmi", "ready");
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->qmi), ==, 1);

	g_clear_pointer (&out, g_free);
	out = cli (f, 0, NULL, "profile", "disable", ICCID_TEST, NULL);
	assert_inhibit_log (f, twice);
	assert_profile_state (f, ICCID_TEST, "disabled");
	g_assert_cmpuint (count_euiccs (f), ==, 1);
#else
	skip_without (HAVE_QMI, "built without QMI support");
#endif
}

/* After a switch esimd shows what the card holds or says it does not know:
 * when the card cannot be read after it, the call fails and no profile is
 * still shown as enabled from before (issue 6, item 6). */
static void
test_qmi_reread_fails_after_switch (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_QMI
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;

	set_up_qmi_modem (f);
	fake_modemmanager_start (f->mm);
	start_daemon (f);
	euicc = wait_euicc (f, "qmi", "ready");
	g_assert_cmpstr (profile_state (f, ICCID_OPERATIONAL), ==, "enabled");

	/* the card switches and resets; then every answer the modem passes on is garbled */
	f->garble_after_reset = TRUE;
	out = cli (f, 1, &err, "profile", "enable", ICCID_TEST, NULL);
	g_test_message ("esimcli: %s", err);
	g_assert_nonnull (strstr (err, "accepted by the eUICC, but it could not be read "
	                          "afterwards"));
	assert_profile_state (f, ICCID_OPERATIONAL, "unknown");
	assert_profile_state (f, ICCID_TEST, "unknown");
	g_clear_object (&euicc);
	euicc = wait_euicc (f, "qmi", "error");
	g_assert_nonnull (strstr (esimd_gdbus_euicc_get_last_error (euicc), "could not be read"));

	/* the modem answers properly again: the next operation reads the card first */
	f->garble_after_reset = FALSE;
	fake_qmi_modem_set_malformed_apdu_response (f->qmi, FALSE);
	g_clear_pointer (&out, g_free);
	out = cli (f, 0, NULL, "profile", "nickname", ICCID_TEST, "travel", NULL);
	assert_profile_state (f, ICCID_TEST, "enabled");
	assert_profile_state (f, ICCID_OPERATIONAL, "disabled");
	g_clear_object (&euicc);
	euicc = wait_euicc (f, "qmi", "ready");
	g_assert_cmpstr (esimd_gdbus_euicc_get_last_error (euicc), ==, "");

	/* the card gets the switch, its answer is lost on the way: not known either */
	fake_qmi_modem_set_malformed_apdu_response (f->qmi, TRUE);
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = cli (f, 1, &err, "profile", "enable", ICCID_OPERATIONAL, NULL);
	g_test_message ("esimcli: %s", err);
	g_assert_nonnull (strstr (err, "whether it switched is not known"));
	assert_profile_state (f, ICCID_OPERATIONAL, "unknown");
	assert_profile_state (f, ICCID_TEST, "unknown");
	fake_qmi_modem_set_malformed_apdu_response (f->qmi, FALSE);
	g_clear_pointer (&out, g_free);
	out = cli (f, 0, NULL, "profile", "nickname", ICCID_TEST, "home", NULL);
	assert_profile_state (f, ICCID_OPERATIONAL, "enabled");
	assert_profile_state (f, ICCID_TEST, "disabled");
#else
	skip_without (HAVE_QMI, "built without QMI support");
#endif
}

static void
test_qmi_inhibit_released_on_error (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_QMI
	const gchar *const once[] = { "1", "0", NULL };
	const gchar *const refused[] = { "1", "0", "1", NULL };
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *err = NULL;

	set_up_qmi_modem (f);
	fake_modemmanager_start (f->mm);
	start_daemon (f);
	euicc = wait_euicc (f, "qmi", "ready");

	/* the card refuses: the profile is enabled already */
	out = cli (f, 1, &err, "profile", "enable", ICCID_OPERATIONAL, NULL);
	g_assert_nonnull (strstr (err, "profileNotInDisabledState"));
	assert_inhibit_log (f, once);
	g_assert_false (fake_modemmanager_is_inhibited (f->mm, f->usb_dir));
	/* ModemManager has the modem again, and esimd follows it */
	esim_test_wait_until_func (WAIT_MS, modem_exported, f->modem,
	                           "the fake modem to be on the bus");
	g_clear_object (&euicc);
	euicc = wait_euicc (f, "qmi", "ready");
	assert_follows_modem (f, euicc, f->modem);

	/* ModemManager refuses the inhibit: nothing is done on the card */
	fake_modemmanager_set_inhibit_mode (f->mm, FAKE_MM_INHIBIT_FAIL);
	g_clear_pointer (&out, g_free);
	g_clear_pointer (&err, g_free);
	out = cli (f, 1, &err, "profile", "enable", ICCID_TEST, NULL);
	g_assert_nonnull (strstr (err, "refused to inhibit"));
	assert_inhibit_log (f, refused);
	assert_profile_state (f, ICCID_TEST, "disabled");
	g_clear_object (&euicc);
	euicc = wait_euicc (f, "qmi", "ready");
#else
	skip_without (HAVE_QMI, "built without QMI support");
#endif
}

static void
test_qmi_switch_without_inhibit (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_QMI
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autofree gchar *before = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *out = NULL;
	LogWait wait = { f, "ModemManager hides the modem (card or modem reset): expected" };

	write_config (f, "InhibitOnSwitch=false\n");
	set_up_qmi_modem (f);
	fake_modemmanager_start (f->mm);
	start_daemon (f);
	euicc = wait_euicc (f, "qmi", "ready");
	before = g_strdup (esimd_gdbus_euicc_get_modem (euicc));

	/* ModemManager shows the SIM go and come back; esimd waits for it */
	out = cli (f, 0, NULL, "profile", "enable", ICCID_TEST, NULL);
	g_assert_cmpuint (fake_modemmanager_get_inhibit_log (f->mm)->len, ==, 0);
	esim_test_wait_until_func (WAIT_MS, log_has, &wait, "the esimd log to say \"%s\"", wait.text);
	assert_profile_state (f, ICCID_TEST, "enabled");
	g_assert_cmpstr (esimd_gdbus_euicc_get_modem (euicc), ==, before);
	g_clear_object (&euicc);
	euicc = wait_euicc (f, "qmi", "ready");
	g_assert_cmpuint (count_euiccs (f), ==, 1);
	path = g_strdup (g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc)));

	/* ModemManager sees the reset only after esimd answered: still no removal */
	f->sim_reset_delay_ms = 200;
	g_clear_pointer (&out, g_free);
	out = cli (f, 0, NULL, "profile", "disable", ICCID_TEST, NULL);
	assert_profile_state (f, ICCID_TEST, "disabled");
	g_clear_object (&euicc);
	euicc = wait_euicc (f, "qmi", "absent");
	g_clear_object (&euicc);
	euicc = wait_euicc (f, "qmi", "ready");
	g_assert_cmpstr (g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc)), ==, path);
	g_assert_cmpuint (count_euiccs (f), ==, 1);
#else
	skip_without (HAVE_QMI, "built without QMI support");
#endif
}

static void
test_qmi_reset_fallbacks (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_QMI
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autofree gchar *out = NULL;
	guint resets;

	/* by model: a card that does not refresh is power-cycled through the channel */
	write_config (f, "[modem:" MODEM_MANUFACTURER " " MODEM_MODEL "]\nRefresh=false\n"
	              "[modem:" MODEM_VID ":" MODEM_PID "]\nInhibitOnSwitch=false\n");
	set_up_qmi_modem (f);
	fake_qmi_modem_set_reset_after_switch (f->qmi, FALSE);
	fake_modemmanager_start (f->mm);
	start_daemon (f);
	euicc = wait_euicc (f, "qmi", "ready");
	resets = fake_qmi_modem_get_n_card_resets (f->qmi);
	out = cli (f, 0, NULL, "profile", "enable", ICCID_TEST, NULL);
	g_assert_cmpuint (fake_qmi_modem_get_n_card_resets (f->qmi), ==, resets + 1);
	g_assert_cmpuint (fake_mm_modem_get_reset_count (f->modem), ==, 0);
	/* the USB id group switched the inhibit off */
	g_assert_cmpuint (fake_modemmanager_get_inhibit_log (f->mm)->len, ==, 0);
	assert_profile_state (f, ICCID_TEST, "enabled");
	stop_daemon (f);

	/* by USB id: ModemManager resets the modem (after esimd released it) */
	write_config (f, "[modem:" MODEM_VID ":" MODEM_PID "]\nRefresh=false\n"
	              "ResetAfterSwitch=modem\n");
	start_daemon (f);
	g_clear_object (&euicc);
	euicc = wait_euicc (f, "qmi", "ready");
	g_clear_pointer (&out, g_free);
	resets = fake_qmi_modem_get_n_card_resets (f->qmi);
	out = cli (f, 0, NULL, "profile", "enable", ICCID_OPERATIONAL, NULL);
	g_assert_cmpuint (fake_mm_modem_get_reset_count (f->modem), ==, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_card_resets (f->qmi), ==, resets);
	g_assert_false (fake_modemmanager_is_inhibited (f->mm, f->usb_dir));
	assert_profile_state (f, ICCID_OPERATIONAL, "enabled");
	assert_follows_modem (f, euicc, f->modem);
#else
	skip_without (HAVE_QMI, "built without QMI support");
#endif
}

static void
test_qmi_non_active_slot (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_QMI
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = NULL;

	/* a physical SIM is active in slot 1, the eUICC sits in slot 2 */
	f->card2 = new_card (f, "slot2-card.ini");
	f->qmi = fake_qmi_modem_new (NULL, f->card2, 1, &error);
	g_assert_no_error (error);
	/* and a third slot is empty */
	f->modem = add_modem (f, fake_qmi_modem_get_port (f->qmi), NULL, NULL, 3, 1);
	fake_mm_modem_set_sim (f->modem, 1, MM_SIM_TYPE_PHYSICAL, MM_SIM_ESIM_STATUS_UNKNOWN, NULL);
	fake_mm_modem_set_sim (f->modem, 2, MM_SIM_TYPE_ESIM, MM_SIM_ESIM_STATUS_WITH_PROFILES, NULL);
	fake_modemmanager_start (f->mm);
	start_daemon (f);

	euicc = wait_euicc (f, "qmi", NULL);
	g_assert_cmpuint (esimd_gdbus_euicc_get_slot (euicc), ==, 2);
	g_clear_object (&euicc);
	euicc = wait_euicc (f, "qmi", "ready");
	g_assert_cmpstr (esimd_gdbus_euicc_get_eid (euicc), ==, esim_veuicc_get_eid (f->card2));
	g_assert_cmpuint (count_euiccs (f), ==, 1);
	out = cli (f, 0, NULL, "-g", "slot", "euicc", "show", NULL);
	g_assert_cmpstr (out, ==, "2\n");
#else
	skip_without (HAVE_QMI, "built without QMI support");
#endif
}

static void
test_qmi_access_denied (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_QMI
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;

	set_up_qmi_modem (f);
	fake_qmi_modem_set_open_channel_error (f->qmi, 82 /* AccessDenied */);
	fake_modemmanager_start (f->mm);
	start_daemon (f);

	/* shown, in error, with the reason */
	euicc = wait_euicc (f, "qmi", "error");
	g_assert_nonnull (strstr (esimd_gdbus_euicc_get_last_error (euicc),
	                          "refuses logical channels"));
#else
	skip_without (HAVE_QMI, "built without QMI support");
#endif
}

static void
test_qmi_client_forgotten (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_QMI
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *path = NULL;
	LogWait wait = { f, "no longer knows esimd's UIM client" };
	guint refused;
	Call call;

	set_up_qmi_modem (f);
	fake_modemmanager_start (f->mm);
	start_daemon (f);
	euicc = wait_euicc (f, "qmi", "ready");
	path = g_strdup (g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc)));

	/* another program sends CTL Sync on the port while esimd holds the ISD-R
	 * open: the modem forgets esimd's client, and the switch still goes through */
	fake_qmi_modem_forget_clients (f->qmi, FALSE);
	out = cli (f, 0, NULL, "profile", "enable", ICCID_TEST, NULL);
	assert_profile_state (f, ICCID_TEST, "enabled");
	assert_profile_state (f, ICCID_OPERATIONAL, "disabled");
	esim_test_wait_until_func (WAIT_MS, log_has, &wait, "the esimd log to say \"%s\"", wait.text);
	refused = fake_qmi_modem_get_n_unknown_client (f->qmi);
	g_assert_cmpuint (refused, ==, 1);
	g_clear_object (&euicc);
	euicc = wait_euicc (f, "qmi", "ready");

	/* the modem's QMI service restarts and says so (CTL Sync indication):
	 * esimd drops the client at once, a D-Bus call never sees the dead id */
	fake_qmi_modem_forget_clients (f->qmi, TRUE);
	wait.text = "CTL Sync indication";
	esim_test_wait_until_func (WAIT_MS, log_has, &wait, "the esimd log to say \"%s\"", wait.text);
	call_start (f, &call, path, "SetNickname", g_variant_new ("(ss)", ICCID_TEST, "healed"));
	call_wait (f, &call);
	g_assert_no_error (call.error);
	call_clear (&call);
	g_assert_cmpuint (fake_qmi_modem_get_n_unknown_client (f->qmi), ==, refused);
	g_clear_pointer (&out, g_free);
	out = cli (f, 0, NULL, "-g", "nickname", "profile", "show", ICCID_TEST, NULL);
	g_assert_cmpstr (out, ==, "healed\n");
	/* one client on the modem, one channel: nothing leaked on the way */
	g_assert_cmpuint (fake_qmi_modem_get_n_uim_clients (f->qmi), ==, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->qmi), ==, 1);
#else
	skip_without (HAVE_QMI, "built without QMI support");
#endif
}

#ifdef HAVE_FAKE_QMI
/* A second Modem.Device for a duplicate modem: a directory beside f->usb_dir. */
static gchar *
make_usb_dir (Fixture *f, const gchar *name)
{
	gchar *dir = g_build_filename (esimd_test_harness_get_tmpdir (f->h), name, NULL);

	g_assert_cmpint (g_mkdir (dir, 0755), ==, 0);
	return dir;
}

/* Another name under /dev (ModemManager lists names below it) for @port:
 * a symbolic link, or with @node a second device node with the same device
 * number.  NULL (with a note) where /dev/shm or mknod is not available. */
static gchar *
make_dev_alias (Fixture *f, const gchar *port, gboolean node)
{
	g_autofree gchar *alias = NULL;
	struct stat st;

	if (f->dev_dir == NULL) {
		f->dev_dir = g_strdup ("/dev/shm/esimd-test-XXXXXX");
		if (g_mkdtemp (f->dev_dir) == NULL) {
			g_test_message ("no /dev/shm here: %s", g_strerror (errno));
			g_clear_pointer (&f->dev_dir, g_free);
			return NULL;
		}
	}
	/* tty names: the backend opens them in plain QMUX mode, as it opens the pty */
	alias = g_build_filename (f->dev_dir, node ? "ttyQMI-node" : "ttyQMI-link", NULL);
	if (node) {
		g_assert_cmpint (stat (port, &st), ==, 0);
		if (mknod (alias, S_IFCHR | 0600, st.st_rdev) != 0) {
			g_test_message ("cannot make a second node for %s: %s", port, g_strerror (errno));
			return NULL;
		}
	} else {
		g_assert_cmpint (symlink (port, alias), ==, 0);
	}
	return g_steal_pointer (&alias);
}

typedef struct {
	Fixture     *f;
	const gchar *not_modem;
} TakeoverWait;

/* One eUICC, ready, on another modem than @not_modem. */
static gboolean
euicc_taken_over (gpointer user_data)
{
	TakeoverWait *wait = user_data;
	g_autoptr(EsimdGdbusEuicc) euicc = find_euicc_in_state (wait->f, "qmi", "ready");

	return euicc != NULL && count_euiccs (wait->f) == 1 &&
	       g_strcmp0 (esimd_gdbus_euicc_get_modem (euicc), wait->not_modem) != 0;
}
#endif

/* A duplicate of the modem holding @port, under another Device, naming the
 * port @alias. */
G_GNUC_UNUSED static FakeMmModem *
add_duplicate_modem (Fixture *f, const gchar *alias)
{
	static guint n;
	g_autofree gchar *name = g_strdup_printf ("usb-2-%u", n++);
	g_autofree gchar *uid = make_usb_dir (f, name);
	FakeMmModemInfo info = {
		.device = uid, .manufacturer = MODEM_MANUFACTURER, .model = MODEM_MODEL,
		.qmi_port = alias,
	};
	FakeMmModem *modem = fake_modemmanager_add_modem (f->mm, &info);

	fake_mm_modem_set_sim (modem, 0, MM_SIM_TYPE_ESIM, MM_SIM_ESIM_STATUS_WITH_PROFILES,
	                       esim_veuicc_get_eid (f->card));
	return modem;
}

/* How many lines of esimd's log name a duplicate of @holder, each naming the
 * ignored modem too. */
G_GNUC_UNUSED static guint
count_duplicate_lines (Fixture *f, const gchar *holder)
{
	g_autofree gchar *log = esimd_test_harness_read_log (f->h);
	g_auto(GStrv) lines = g_strsplit (log, "\n", -1);
	guint n = 0;

	for (guint i = 0; lines[i] != NULL; i++) {
		g_autofree gchar *expected = g_strdup_printf ("in use for modem %s: a duplicate", holder);

		if (strstr (lines[i], expected) == NULL)
			continue;
		g_assert_nonnull (strstr (lines[i], "ignoring the eUICC in slot 0 of modem "));
		n++;
	}
	return n;
}

/* ModemManager shows the same QMI port on several modems (under another
 * Device, by the same path, through a link, through a second device node):
 * esimd opens it for the first only, says in one line why it ignores each
 * other one, keeps it through a switch, and offers it to the others once the
 * first is gone. */
static void
test_qmi_same_port_twice (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_QMI
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autoptr(GPtrArray) modems = g_ptr_array_new ();
	g_autofree gchar *link = NULL;
	g_autofree gchar *node = NULL;
	g_autofree gchar *holder = NULL;
	g_autofree gchar *out = NULL;
	TakeoverWait takeover = { f, NULL };
	LogWait wait = { f, "is free again: offering it" };
	FakeMmModem *holder_modem = NULL;
	const gchar *port;

	set_up_qmi_modem (f);
	port = fake_qmi_modem_get_port (f->qmi);
	g_ptr_array_add (modems, f->modem);
	g_ptr_array_add (modems, add_duplicate_modem (f, port));
	link = make_dev_alias (f, port, FALSE);
	if (link != NULL)
		g_ptr_array_add (modems, add_duplicate_modem (f, link));
	fake_modemmanager_start (f->mm);
	start_daemon (f);

	euicc = wait_euicc (f, "qmi", "ready");
	holder = g_strdup (esimd_gdbus_euicc_get_modem (euicc));
	for (guint i = 0; i < modems->len; i++) {
		if (g_strcmp0 (fake_mm_modem_get_path (modems->pdata[i]), holder) == 0)
			holder_modem = modems->pdata[i];
	}
	g_assert_nonnull (holder_modem);
	/* a second device node for the port (it cannot be opened in /dev/shm, but
	 * it is the same device): a duplicate too */
	node = make_dev_alias (f, port, TRUE);
	if (node != NULL) {
		FakeMmModem *by_node = add_duplicate_modem (f, node);
		LogWait dup = { f, node };

		esim_test_wait_until_func (WAIT_MS, log_has, &dup,
		                           "the esimd log to say \"%s\"", dup.text);
		esim_test_spin (300);
		g_assert_cmpuint (count_duplicate_lines (f, holder), ==, modems->len);
		fake_modemmanager_remove_modem (f->mm, by_node);
	}
	esim_test_spin (300);
	g_assert_cmpuint (count_duplicate_lines (f, holder), ==, modems->len - (node == NULL));
	/* opened once: one CTL Sync, one client, one channel, one eUICC */
	g_assert_cmpuint (count_euiccs (f), ==, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_ctl_requests (f->qmi, 0x0027), ==, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_uim_clients (f->qmi), ==, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->qmi), ==, 1);

	/* a switch inhibits the holder (ModemManager hides it): still held, not offered */
	out = cli (f, 0, NULL, "profile", "enable", ICCID_TEST, NULL);
	assert_profile_state (f, ICCID_TEST, "enabled");
	assert_follows_modem (f, euicc, holder_modem);
	g_assert_cmpuint (count_euiccs (f), ==, 1);
	g_assert_false (log_contains (f, "is free again"));
	g_free (holder);
	holder = g_strdup (fake_mm_modem_get_path (holder_modem));
	/* a duplicate appearing now is told the holder's path of now */
	{
		LogWait dup = { f, NULL };
		g_autofree gchar *text = g_strdup_printf ("in use for modem %s: a duplicate", holder);

		g_ptr_array_add (modems, add_duplicate_modem (f, port));
		dup.text = text;
		esim_test_wait_until_func (WAIT_MS, log_has, &dup,
		                           "the esimd log to say \"%s\"", dup.text);
		g_assert_cmpuint (count_duplicate_lines (f, holder), ==, 1);
	}

	/* the holder is unplugged: another takes the port over once it is closed */
	fake_modemmanager_remove_modem (f->mm, holder_modem);
	if (holder_modem == f->modem)
		f->modem = NULL;
	takeover.not_modem = holder;
	esim_test_wait_until_func (WAIT_MS, log_has, &wait, "the esimd log to say \"%s\"", wait.text);
	esim_test_wait_until_func (WAIT_MS, euicc_taken_over, &takeover,
	                           "the other modem to take the eUICC over");
	esim_test_spin (300);
	g_assert_cmpuint (count_euiccs (f), ==, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_uim_clients (f->qmi), ==, 1);
	g_assert_cmpuint (fake_qmi_modem_get_n_open_channels (f->qmi), ==, 1);
	assert_profile_state (f, ICCID_TEST, "enabled");
#else
	skip_without (HAVE_QMI, "built without QMI support");
#endif
}

/* ---- runtime changes ---- */

G_GNUC_UNUSED static gboolean
qmi_channels_closed (gpointer user_data)
{
#ifdef HAVE_FAKE_QMI
	Fixture *f = user_data;
	return fake_qmi_modem_get_n_open_channels (f->qmi) == 0 &&
	       fake_qmi_modem_get_n_uim_clients (f->qmi) == 0;
#else
	return TRUE;
#endif
}


static void
test_modems_come_and_go (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_QMI
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autofree gchar *path = NULL;
	FakeMmModemInfo info = { .model = "Plain", .qmi_port = "/dev/cdc-wdm7" };
	FakeMmModem *plain;

	fake_modemmanager_start (f->mm);
	start_daemon (f);
	esim_test_wait_until_func (WAIT_MS, mm_running, f, "esimd to see ModemManager running");
	g_assert_cmpuint (count_euiccs (f), ==, 0);

	/* a modem with a plain SIM is no eUICC */
	info.device = "/sys/devices/pci0000:00/0000:00:14.0/usb1/1-7";
	plain = fake_modemmanager_add_modem (f->mm, &info);
	fake_mm_modem_set_sim (plain, 0, MM_SIM_TYPE_PHYSICAL, MM_SIM_ESIM_STATUS_UNKNOWN, NULL);

	set_up_qmi_modem (f);
	euicc = wait_euicc (f, "qmi", "ready");
	path = g_strdup (g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc)));
	g_assert_cmpuint (count_euiccs (f), ==, 1);
	assert_n_listed (f, 1);

	/* unplugged: the object goes, the channel is closed */
	fake_modemmanager_remove_modem (f->mm, f->modem);
	f->modem = NULL;
	wait_no_euicc (f, "qmi");
	esim_test_wait_until_func (WAIT_MS, qmi_channels_closed, f,
	                           "esimd to close its QMI channels and release its UIM clients");
	assert_n_listed (f, 0);

	/* plugged in again: a new object */
	f->modem = add_modem (f, fake_qmi_modem_get_port (f->qmi), NULL, NULL, 0, 0);
	fake_mm_modem_set_sim (f->modem, 0, MM_SIM_TYPE_ESIM, MM_SIM_ESIM_STATUS_WITH_PROFILES, NULL);
	g_clear_object (&euicc);
	euicc = wait_euicc (f, "qmi", "ready");
	g_assert_cmpstr (g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc)), !=, path);

	/* a SIM found to be an eUICC later (ModemManager read its EID): shown, unreachable */
	fake_mm_modem_set_sim (plain, 0, MM_SIM_TYPE_UNKNOWN, MM_SIM_ESIM_STATUS_UNKNOWN,
	                       "89049032000000000000000000000042");
	g_clear_object (&euicc);
	euicc = wait_euicc (f, "qmi", "error");
	g_assert_cmpuint (count_euiccs (f), ==, 2);
	assert_n_listed (f, 2);
#else
	skip_without (HAVE_QMI, "built without QMI support");
#endif
}

static void
test_modemmanager_restarts (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_QMI
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autofree gchar *path = NULL;

	set_up_qmi_modem (f);
	fake_modemmanager_start (f->mm);
	start_daemon (f);
	euicc = wait_euicc (f, "qmi", "ready");
	path = g_strdup (g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc)));

	fake_modemmanager_stop (f->mm);
	wait_no_euicc (f, "qmi");
	esim_test_wait_until_func (WAIT_MS, mm_not_running, f, "esimd to see ModemManager gone");
	/* the channel is closed in the background once the objects left the bus */
	esim_test_wait_until_func (WAIT_MS, qmi_channels_closed, f,
	                           "esimd to close its QMI channels and release its UIM clients");

	fake_modemmanager_start (f->mm);
	g_clear_object (&euicc);
	euicc = wait_euicc (f, "qmi", "ready");
	g_assert_cmpstr (g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc)), !=, path);
	g_assert_true (mm_running_is (f, TRUE));
	g_assert_cmpstr (esimd_gdbus_euicc_get_eid (euicc), ==, esim_veuicc_get_eid (f->card));
#else
	skip_without (HAVE_QMI, "built without QMI support");
#endif
}

G_GNUC_UNUSED static gboolean
qmi_apdu_held (gpointer user_data)
{
#ifdef HAVE_FAKE_QMI
	Fixture *f = user_data;
	return fake_qmi_modem_get_n_held_apdus (f->qmi) > 0;
#else
	return FALSE;
#endif
}

G_GNUC_UNUSED static gboolean
inhibit_held (gpointer user_data)
{
	Fixture *f = user_data;
	return fake_modemmanager_get_n_held (f->mm) > 0;
}

static void
test_removed_mid_operation (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_QMI
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autofree gchar *path = NULL;
	g_autofree gchar *out = NULL;
	Call call;

	set_up_qmi_modem (f);
	fake_modemmanager_start (f->mm);
	start_daemon (f);
	euicc = wait_euicc (f, "qmi", "ready");
	path = g_strdup (g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc)));

	/* the card is slow to answer when the modem is unplugged */
	fake_qmi_modem_set_hold_apdus (f->qmi, TRUE);
	call_start (f, &call, path, "SetNickname", g_variant_new ("(ss)", ICCID_TEST, "slow"));
	esim_test_wait_until_func (WAIT_MS, qmi_apdu_held, f, "the fake QMI modem to hold an APDU");
	fake_modemmanager_remove_modem (f->mm, f->modem);
	f->modem = NULL;
	call_wait (f, &call);
	assert_modem_removed (call.error);
	call_clear (&call);
	wait_no_euicc (f, "qmi");

	/* the card answers at last: esimd drops it all, nothing is left open */
	fake_qmi_modem_set_hold_apdus (f->qmi, FALSE);
	esim_test_wait_until_func (WAIT_MS, qmi_channels_closed, f,
	                           "esimd to close its QMI channels and release its UIM clients");
	out = cli (f, 0, NULL, "-g", "running,euiccs", "general", "status", NULL);
	g_assert_cmpstr (out, ==, "yes\n0\n");
#else
	skip_without (HAVE_QMI, "built without QMI support");
#endif
}

static void
test_removed_while_inhibiting (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_QMI
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autofree gchar *path = NULL;
	guint apdus;
	Call call;

	set_up_qmi_modem (f);
	fake_modemmanager_start (f->mm);
	start_daemon (f);
	euicc = wait_euicc (f, "qmi", "ready");
	path = g_strdup (g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc)));

	/* unplugged while ModemManager is still working on esimd's InhibitDevice */
	apdus = fake_qmi_modem_get_n_apdus (f->qmi);
	fake_modemmanager_set_inhibit_mode (f->mm, FAKE_MM_INHIBIT_HOLD);
	call_start (f, &call, path, "EnableProfile",
	            g_variant_new ("(s@a{sv})", ICCID_TEST, g_variant_new ("a{sv}", NULL)));
	esim_test_wait_until_func (WAIT_MS, inhibit_held, f,
	                           "the fake ModemManager to hold an InhibitDevice call");
	fake_modemmanager_remove_modem (f->mm, f->modem);
	f->modem = NULL;
	call_wait (f, &call);
	assert_modem_removed (call.error);
	call_clear (&call);
	wait_no_euicc (f, "qmi");
	esim_test_wait_until_func (WAIT_MS, qmi_channels_closed, f,
	                           "esimd to close its QMI channels and release its UIM clients");
	/* nothing reached the card */
	g_assert_cmpuint (fake_qmi_modem_get_n_apdus (f->qmi), ==, apdus);
#else
	skip_without (HAVE_QMI, "built without QMI support");
#endif
}

static void
test_inhibit_released_on_shutdown (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_QMI
	const gchar *const once[] = { "1", "0", NULL };
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autofree gchar *path = NULL;
	gint status = -1;
	Call call;

	set_up_qmi_modem (f);
	fake_modemmanager_start (f->mm);
	start_daemon (f);
	euicc = wait_euicc (f, "qmi", "ready");
	path = g_strdup (g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc)));

	/* esimd is stopped while the card works on the switch: the modem is released first */
	fake_qmi_modem_set_hold_apdus (f->qmi, TRUE);
	call_start (f, &call, path, "EnableProfile",
	            g_variant_new ("(s@a{sv})", ICCID_TEST, g_variant_new ("a{sv}", NULL)));
	esim_test_wait_until_func (WAIT_MS, qmi_apdu_held, f, "the fake QMI modem to hold an APDU");
	g_assert_true (fake_modemmanager_is_inhibited (f->mm, f->usb_dir));
	stop_daemon (f);
	g_assert_true (esimd_test_harness_daemon_exited (f->h, &status));
	g_assert_cmpint (status, ==, 0);
	call_wait (f, &call);
	g_assert_nonnull (call.error);
	call_clear (&call);
	/* released by esimd itself, not dropped by ModemManager when esimd left */
	assert_inhibit_log (f, once);
	g_assert_false (fake_modemmanager_is_inhibited (f->mm, f->usb_dir));
	fake_qmi_modem_set_hold_apdus (f->qmi, FALSE);
#else
	skip_without (HAVE_QMI, "built without QMI support");
#endif
}

/* ---- MBIM ---- */

#ifdef HAVE_FAKE_MBIM
static void
set_up_mbim_modem (Fixture *f)
{
	g_autoptr(GError) error = NULL;

	f->mbim = fake_mbim_modem_new (f->card, NULL, 1, &error);
	g_assert_no_error (error);
	f->modem = add_modem (f, NULL, fake_mbim_modem_get_port (f->mbim), "/dev/ttyUSB2", 1, 1);
	fake_mm_modem_set_sim (f->modem, 1, MM_SIM_TYPE_ESIM, MM_SIM_ESIM_STATUS_WITH_PROFILES, NULL);
	fake_mbim_modem_set_reset_after_switch (f->mbim, TRUE);
}
#endif

static void
test_mbim_enable (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_MBIM
	const gchar *const once[] = { "1", "0", NULL };
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *expected = NULL;
	guint resets;

	set_up_mbim_modem (f);
	fake_modemmanager_start (f->mm);
	start_daemon (f);
	euicc = wait_euicc (f, "mbim", "ready");
	g_assert_cmpuint (esimd_gdbus_euicc_get_slot (euicc), ==, 1);
	g_assert_cmpstr (esimd_gdbus_euicc_get_eid (euicc), ==, esim_veuicc_get_eid (f->card));
	/* not ModemManager's channel group */
	g_assert_cmpuint (fake_mbim_modem_get_last_channel_group (f->mbim), !=, 1);
	out = cli (f, 0, NULL, "-t", "-f", "TRANSPORT,MODEM,SLOT", "euicc", "list", NULL);
	expected = g_strdup_printf ("mbim:%u:1\n", fake_mm_modem_get_index (f->modem));
	g_assert_cmpstr (out, ==, expected);

	resets = fake_mbim_modem_get_n_resets (f->mbim);
	g_clear_pointer (&out, g_free);
	out = cli (f, 0, NULL, "profile", "enable", ICCID_TEST, NULL);
	assert_inhibit_log (f, once);
	g_assert_cmpuint (fake_mbim_modem_get_n_resets (f->mbim), >, resets);
	assert_profile_state (f, ICCID_TEST, "enabled");
	assert_follows_modem (f, euicc, f->modem);
	g_clear_object (&euicc);
	euicc = wait_euicc (f, "mbim", "ready");
#else
	skip_without (HAVE_MBIM, "built without MBIM support");
#endif
}

static void
test_mbim_quirks_file (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_MBIM
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autofree gchar *datadir = g_build_filename (esimd_test_harness_get_tmpdir (f->h),
	                                              "data", NULL);
	g_autofree gchar *quirks = g_build_filename (datadir, "mbim-quirks.conf", NULL);

	g_assert_cmpint (g_mkdir (datadir, 0755), ==, 0);
	g_setenv ("ESIMD_DATADIR", datadir, TRUE);
	set_up_mbim_modem (f);
	/* this modem answers 6E00 unless the class byte is "extended" */
	fake_mbim_modem_require_extended_class_byte (f->mbim, TRUE);
	fake_modemmanager_start (f->mm);

	g_assert_true (g_file_set_contents (quirks, "# none\n", -1, NULL));
	start_daemon (f);
	g_clear_object (&euicc);
	euicc = wait_euicc (f, "mbim", "error");
	stop_daemon (f);

	/* the quirk, matched by the USB ids ModemManager's Device leads to */
	g_assert_true (g_file_set_contents (quirks, "[usb:" MODEM_VID ":" MODEM_PID "]\n"
	                                    "ClassByte=extended\n", -1, NULL));
	start_daemon (f);
	g_clear_object (&euicc);
	euicc = wait_euicc (f, "mbim", "ready");
	g_assert_cmpstr (esimd_gdbus_euicc_get_eid (euicc), ==, esim_veuicc_get_eid (f->card));
#else
	skip_without (HAVE_MBIM, "built without MBIM support");
#endif
}

/* The modem's MBIM function restarts while esimd holds the ISD-R open: the
 * next operation is refused NotOpened, and esimd opens a new session and
 * channel and sends it again; the user sees it succeed. */
static void
test_mbim_function_restart (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_MBIM
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autofree gchar *out = NULL;
	g_autofree gchar *nickname = NULL;
	guint opens;

	set_up_mbim_modem (f);
	fake_modemmanager_start (f->mm);
	start_daemon (f);
	euicc = wait_euicc (f, "mbim", "ready");
	opens = fake_mbim_modem_get_n_opens (f->mbim);
	g_assert_cmpuint (fake_mbim_modem_get_n_open_channels (f->mbim), ==, 1);

	fake_mbim_modem_close_function (f->mbim);
	out = cli (f, 0, NULL, "profile", "nickname", ICCID_TEST, "After restart", NULL);
	g_assert_cmpuint (fake_mbim_modem_get_n_not_opened (f->mbim), ==, 1);
	g_assert_cmpuint (fake_mbim_modem_get_n_opens (f->mbim), ==, opens + 1);
	g_assert_true (log_contains (f, "no longer knows esimd's MBIM session"));
	/* the card has it, and esimd shows it */
	nickname = cli (f, 0, NULL, "-g", "nickname", "profile", "show", ICCID_TEST, NULL);
	g_assert_cmpstr (nickname, ==, "After restart\n");
	g_assert_cmpstr (esimd_gdbus_euicc_get_state (euicc), ==, "ready");
	/* the old session's channel was closed with esimd's group: one left */
	g_assert_cmpuint (fake_mbim_modem_get_n_open_channels (f->mbim), ==, 1);
#else
	skip_without (HAVE_MBIM, "built without MBIM support");
#endif
}

/* ---- AT ---- */

static void
test_at_inhibited (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_AT
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = NULL;
	GPtrArray *log;

	f->at = fake_at_modem_new (f->card, &error);
	g_assert_no_error (error);
	/* no QMI or MBIM port: the AT port it is */
	f->modem = add_modem (f, NULL, NULL, fake_at_modem_get_port (f->at), 0, 0);
	fake_mm_modem_set_sim (f->modem, 0, MM_SIM_TYPE_ESIM, MM_SIM_ESIM_STATUS_WITH_PROFILES, NULL);
	fake_modemmanager_start (f->mm);
	start_daemon (f);

	euicc = wait_euicc (f, "at", "ready");
	g_assert_cmpstr (esimd_gdbus_euicc_get_eid (euicc), ==, esim_veuicc_get_eid (f->card));
	/* the probe ran with the modem inhibited, and the port was let go after it */
	log = fake_modemmanager_get_inhibit_log (f->mm);
	g_assert_cmpuint (log->len, ==, 2);
	g_assert_false (fake_modemmanager_is_inhibited (f->mm, f->usb_dir));
	g_assert_cmpuint (fake_at_modem_count_open_channels (f->at), ==, 0);

	out = cli (f, 0, NULL, "profile", "enable", ICCID_TEST, NULL);
	assert_profile_state (f, ICCID_TEST, "enabled");
	g_assert_cmpuint (log->len, ==, 4);
	g_assert_false (fake_modemmanager_is_inhibited (f->mm, f->usb_dir));
	esim_test_wait_until_func (WAIT_MS, modem_exported, f->modem,
	                           "the fake modem to be on the bus");
	g_clear_object (&euicc);
	euicc = wait_euicc (f, "at", "ready");
	assert_follows_modem (f, euicc, f->modem);
#else
	skip_without (HAVE_AT, "built without the fake AT modem");
#endif
}

/* An AT modem whose +CCHO session ids are 257 and up (27.007 §8.45: the MT
 * chooses them) and whose card resets after a switch: the enable goes
 * through, esimd reopens and re-reads the card, and shows the NEW profile
 * enabled, also after a restart; +CMEE was set while esimd held the port. */
static void
test_at_session_ids (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_AT
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *out = NULL;

	f->at = fake_at_modem_new (f->card, &error);
	g_assert_no_error (error);
	fake_at_modem_set_first_session_id (f->at, 257);
	fake_at_modem_set_reset_after_switch (f->at, TRUE);
	f->modem = add_modem (f, NULL, NULL, fake_at_modem_get_port (f->at), 0, 0);
	fake_mm_modem_set_sim (f->modem, 0, MM_SIM_TYPE_ESIM, MM_SIM_ESIM_STATUS_WITH_PROFILES, NULL);
	fake_modemmanager_start (f->mm);
	start_daemon (f);

	euicc = wait_euicc (f, "at", "ready");
	g_assert_cmpstr (esimd_gdbus_euicc_get_eid (euicc), ==, esim_veuicc_get_eid (f->card));
	assert_profile_state (f, ICCID_OPERATIONAL, "enabled");
	g_assert_cmpuint (fake_at_modem_get_cmee (f->at), ==, 1);

	out = cli (f, 0, NULL, "profile", "enable", ICCID_TEST, NULL);
	g_assert_cmpuint (fake_at_modem_get_n_card_resets (f->at), ==, 1);
	assert_profile_state (f, ICCID_TEST, "enabled");
	assert_profile_state (f, ICCID_OPERATIONAL, "disabled");
	/* the re-read ran on a session the modem opened after the reset */
	g_assert_cmpuint (fake_at_modem_count_commands (f->at, "AT+CGLA=259,"), >, 0);
	g_assert_cmpuint (fake_at_modem_count_commands (f->at, "AT+CGLA=2,"), ==, 0);
	g_assert_cmpuint (fake_at_modem_count_sessions (f->at), ==, 0);
	g_assert_cmpuint (fake_at_modem_count_open_channels (f->at), ==, 0);
	g_clear_object (&euicc);
	euicc = wait_euicc (f, "at", "ready");

	/* what the card holds, read afresh by a new esimd */
	g_clear_object (&euicc);
	stop_daemon (f);
	start_daemon (f);
	euicc = wait_euicc (f, "at", "ready");
	assert_profile_state (f, ICCID_TEST, "enabled");
	assert_profile_state (f, ICCID_OPERATIONAL, "disabled");
#else
	skip_without (HAVE_AT, "built without the fake AT modem");
#endif
}

/* A download on the eUICC of a modem tells the SM-DP+ the modem's IMEI (ModemManager's
 * EquipmentIdentifier) and the TAC it starts with, inside what the card signs (SGP.22
 * §4.2 deviceInfo).  A test PKI of its own: the card is made from its credentials. */
static void
test_qmi_download_device_info (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_QMI
	/* 35 209900 176148 1: a TAC of the GSMA test range, Luhn check digit 1 */
	const gchar *imei = "352099001761481";
	g_autofree gchar *pki = g_build_filename (esimd_test_harness_get_tmpdir (f->h), "pki", NULL);
	g_autofree gchar *seed_path = g_build_filename (esimd_test_harness_get_tmpdir (f->h),
	                                                "download-card.ini", NULL);
	g_autofree gchar *seed = g_strdup_printf ("[card]\ncredentials=%s\n", pki);
	g_autofree gchar *ci = g_build_filename (pki, "CertificateIssuer", NULL);
	g_autofree gchar *config = g_strdup_printf ("[download]\nTestCiDirectory=%s\n", ci);
	EsimTestPkiOptions pki_options = { .smdp_host = "localhost" };
	EsimTestSmdpOptions smdp_options = { .pki_dir = pki, .host = "localhost" };
	EsimTestSmdpOrder order = { .matching_id = "MID-MODEM" };
	g_autoptr(EsimTestSmdp) smdp = NULL;
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *code = NULL;
	g_autofree gchar *out = NULL;
	FakeMmModemInfo info = {
		.device = f->usb_dir,
		.manufacturer = MODEM_MANUFACTURER,
		.model = MODEM_MODEL,
		.at_port = "/dev/ttyUSB2",
		.equipment_identifier = imei,
		.capabilities = MM_MODEM_CAPABILITY_GSM_UMTS | MM_MODEM_CAPABILITY_LTE,
	};

	g_assert_true (esim_test_pki_write (pki, &pki_options, NULL, &error));
	g_assert_true (g_file_set_contents (seed_path, seed, -1, NULL));
	g_clear_object (&f->card);
	f->card = esim_veuicc_new_from_file (seed_path, TRUE, &error);
	g_assert_no_error (error);
	smdp = esim_test_smdp_new (&smdp_options, &error);
	g_assert_no_error (error);
	g_assert_true (esim_test_smdp_listen (smdp, "127.0.0.1:0", &error));
	g_assert_true (esim_test_smdp_add_order (smdp, &order, &error));
	code = esim_test_smdp_get_activation_code (smdp, "MID-MODEM");
	write_config (f, config);
	f->qmi = fake_qmi_modem_new (f->card, NULL, 1, &error);
	g_assert_no_error (error);
	info.qmi_port = fake_qmi_modem_get_port (f->qmi);
	f->modem = fake_modemmanager_add_modem (f->mm, &info);
	fake_mm_modem_set_sim (f->modem, 0, MM_SIM_TYPE_ESIM, MM_SIM_ESIM_STATUS_WITH_PROFILES,
	                       esim_veuicc_get_eid (f->card));
	fake_modemmanager_start (f->mm);
	start_daemon (f);
	euicc = wait_euicc (f, "qmi", "ready");

	out = cli (f, 0, NULL, "-w", "60", "profile", "download", code, NULL);
	g_assert_nonnull (strstr (out, "downloaded."));
	g_assert_cmpstr (esim_test_smdp_get_device_imei (smdp), ==, imei);
	g_assert_cmpstr (esim_test_smdp_get_device_tac (smdp), ==, "35209900");
	assert_profile_state (f, esim_test_smdp_get_order_iccid (smdp, "MID-MODEM"), "disabled");
#else
	skip_without (HAVE_QMI, "built without QMI support");
#endif
}

static void
count_get_eim_package (EsimTestEim *eim, guint function, const gchar *eid, gpointer user_data)
{
	if (function == ESIM_TEST_EIM_FUNCTION_GET_EIM_PACKAGE)
		(*(guint *) user_data)++;
}

/* ModemManager reports the modem's data connection up (Modem.State connected): esimd
 * polls the eIM of the modem's eUICC then, not only on its interval. */
static void
test_qmi_poll_on_data_connected (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_QMI
	EsimTestEimOptions eim_options = { .host = "localhost", .accept_any_eid = TRUE };
	EsimTestEimConfigOptions config_options = { 0 };
	g_autoptr(EsimTestEim) eim = NULL;
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autoptr(GBytes) configuration = NULL;
	g_autoptr(GError) error = NULL;
	Call call;
	guint gets = 0;

	write_config (f, "[eim]\nPollInterval=3600\nAttempts=1\n");
	eim = esim_test_eim_new (&eim_options, &error);
	g_assert_no_error (error);
	g_signal_connect (eim, "request", G_CALLBACK (count_get_eim_package), &gets);
	configuration = esim_test_eim_build_configuration (eim, &config_options, &error);
	g_assert_no_error (error);
	set_up_qmi_modem (f);
	fake_modemmanager_start (f->mm);
	start_daemon (f);
	euicc = wait_euicc (f, "qmi", "ready");

	/* a new eIM is polled once, then not for an hour */
	call_start (f, &call, g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc)), "AddInitialEim",
	            g_variant_new ("(@ay)", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
	                           g_bytes_get_data (configuration, NULL),
	                           g_bytes_get_size (configuration), 1)));
	call_wait (f, &call);
	g_assert_no_error (call.error);
	call_clear (&call);
	esim_test_wait_until_ms (WAIT_MS, gets == 1, "the first poll of the new eIM");
	esim_test_spin (500);
	g_assert_cmpuint (gets, ==, 1);

	/* data up: a poll; connected again after going down: another */
	fake_mm_modem_set_state (f->modem, MM_MODEM_STATE_CONNECTED);
	esim_test_wait_until_ms (WAIT_MS, gets == 2, "a poll once the data connection is up");
	fake_mm_modem_set_state (f->modem, MM_MODEM_STATE_REGISTERED);
	esim_test_spin (500);
	g_assert_cmpuint (gets, ==, 2);
	fake_mm_modem_set_state (f->modem, MM_MODEM_STATE_CONNECTED);
	esim_test_wait_until_ms (WAIT_MS, gets == 3, "a poll once the data connection is up again");
	g_signal_handlers_disconnect_by_data (eim, &gets);
#else
	skip_without (HAVE_QMI, "built without QMI support");
#endif
}

/* After a REFRESH a real modem leaves ModemManager and is probed again: the card
 * reset unplugs the modem and brings it back under a new path after 300 ms. */
static gboolean
replug_modem_cb (gpointer user_data)
{
	Fixture *f = user_data;

	f->modem = add_modem (f, fake_qmi_modem_get_port (f->qmi), NULL, "/dev/ttyUSB2", 0, 0);
	fake_mm_modem_set_sim (f->modem, 0, MM_SIM_TYPE_ESIM, MM_SIM_ESIM_STATUS_WITH_PROFILES,
	                       esim_veuicc_get_eid (f->card));
	return G_SOURCE_REMOVE;
}

static void
qmi_card_reset_replug_cb (FakeQmiModem *qmi, guint slot, gpointer user_data)
{
	Fixture *f = user_data;

	fake_modemmanager_remove_modem (f->mm, f->modem);
	f->modem = NULL;
	g_timeout_add (300, replug_modem_cb, f);
}

static guint
count_package_results (EsimTestEim *eim, const gchar *eid)
{
	g_autoptr(GPtrArray) records = esim_test_eim_get_records (eim, eid);
	guint n = 0;

	for (guint i = 0; i < records->len; i++) {
		const EsimTestEimRecord *record = g_ptr_array_index (records, i);

		if (record->kind == ESIM_TEST_EIM_RECORD_EUICC_PACKAGE_RESULT)
			n++;
	}
	return n;
}

/* An eIM-ordered enable on a modem's eUICC (issue 8, item 6): the card REFRESHes
 * after the package and the modem leaves ModemManager and comes back; esimd keeps
 * the eUICC, reopens its ISD-R and the enable's result reaches the eIM exactly once
 * by the time the data connection is up on the new profile. */
static void
test_qmi_eim_enable (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_QMI
	EsimTestEimOptions eim_options = { .host = "localhost", .accept_any_eid = TRUE };
	EsimTestEimConfigOptions config_options = { 0 };
	g_autoptr(EsimTestEimPackage) package = esim_test_eim_package_new_psmos ();
	g_autoptr(EsimTestEim) eim = NULL;
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autoptr(GBytes) configuration = NULL;
	g_autoptr(GError) error = NULL;
	const gchar *eid;
	Call call;
	guint gets = 0;
	guint resets;

	write_config (f, "[eim]\nPollInterval=3600\nAttempts=1\n");
	eim = esim_test_eim_new (&eim_options, &error);
	g_assert_no_error (error);
	g_signal_connect (eim, "request", G_CALLBACK (count_get_eim_package), &gets);
	configuration = esim_test_eim_build_configuration (eim, &config_options, &error);
	g_assert_no_error (error);
	set_up_qmi_modem (f);
	fake_qmi_modem_set_card_reset_func (f->qmi, qmi_card_reset_replug_cb, f);
	fake_modemmanager_start (f->mm);
	start_daemon (f);
	euicc = wait_euicc (f, "qmi", "ready");
	eid = esim_veuicc_get_eid (f->card);

	call_start (f, &call, g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc)), "AddInitialEim",
	            g_variant_new ("(@ay)", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
	                           g_bytes_get_data (configuration, NULL),
	                           g_bytes_get_size (configuration), 1)));
	call_wait (f, &call);
	g_assert_no_error (call.error);
	call_clear (&call);
	esim_test_wait_until_ms (WAIT_MS, gets == 1, "the first poll of the new eIM");
	esim_test_spin (500);

	/* the eIM orders the enable; a poll runs it, the card resets, the modem goes */
	resets = fake_qmi_modem_get_n_card_resets (f->qmi);
	g_assert_true (esim_test_eim_package_add_enable (package, ICCID_TEST, FALSE, &error));
	g_assert_no_error (error);
	esim_test_eim_queue (eim, eid, g_steal_pointer (&package));
	call_start (f, &call, g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc)), "Poll", NULL);
	esim_test_wait_until_ms (WAIT_MS, fake_qmi_modem_get_n_card_resets (f->qmi) > resets,
	                         "the card reset after the enable PSMO");
	/* the enable ran: the poll succeeded, though the card went away after it */
	call_wait (f, &call);
	g_assert_no_error (call.error);
	call_clear (&call);
	esim_test_wait_until_ms (WAIT_MS, f->modem != NULL && fake_mm_modem_get_path (f->modem) != NULL,
	                         "the modem back in ModemManager");
	g_clear_object (&euicc);
	euicc = wait_euicc (f, "qmi", "ready");

	/* the data connection comes up on the new profile: what is left is delivered */
	fake_mm_modem_set_state (f->modem, MM_MODEM_STATE_CONNECTED);
	esim_test_wait_until_ms (WAIT_MS, count_package_results (eim, eid) >= 1,
	                         "the enable's EuiccPackageResult at the eIM");
	esim_test_wait_until_ms (WAIT_MS, esim_test_eim_get_queue_length (eim, eid) == 0,
	                         "the eIM's queue to empty");
	esim_test_spin (1000);
	g_assert_cmpuint (count_package_results (eim, eid), ==, 1);
	assert_profile_state (f, ICCID_TEST, "enabled");
	assert_profile_state (f, ICCID_OPERATIONAL, "disabled");
	g_clear_object (&euicc);
	euicc = wait_euicc (f, "qmi", "ready");
	g_assert_cmpuint (count_euiccs (f), ==, 1);
	/* neither a failed poll nor a command on the channel the card reset took */
	g_assert_false (log_contains (f, "in a row"));
	g_assert_false (log_contains (f, "dropped the ISD-R channel"));
	g_signal_handlers_disconnect_by_data (eim, &gets);
#else
	skip_without (HAVE_QMI, "built without QMI support");
#endif
}

/* SMS wake-up ([sms-wakeup] Senders): a text from the configured sender, received
 * through ModemManager's Messaging, makes esimd poll the eIM of the modem's eUICC
 * and is deleted; a text from anyone else is left alone and polls nothing. */
static gboolean
sms_wakeup_deleted (gpointer user_data)
{
	Fixture *f = user_data;

	return fake_mm_modem_get_n_sms (f->modem) == 0;
}

static void
test_qmi_sms_wakeup (Fixture *f, gconstpointer data)
{
#ifdef HAVE_FAKE_QMI
	EsimTestEimOptions eim_options = { .host = "localhost", .accept_any_eid = TRUE };
	EsimTestEimConfigOptions config_options = { 0 };
	g_autoptr(EsimTestEim) eim = NULL;
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autoptr(GBytes) configuration = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree gchar *other = NULL;
	Call call;
	guint gets = 0;

	write_config (f, "[eim]\nPollInterval=3600\nAttempts=1\n"
	                 "[sms-wakeup]\nSenders=+491701234567\nPattern=^esim:poll$\n");
	eim = esim_test_eim_new (&eim_options, &error);
	g_assert_no_error (error);
	g_signal_connect (eim, "request", G_CALLBACK (count_get_eim_package), &gets);
	configuration = esim_test_eim_build_configuration (eim, &config_options, &error);
	g_assert_no_error (error);
	set_up_qmi_modem (f);
	fake_modemmanager_start (f->mm);
	start_daemon (f);
	euicc = wait_euicc (f, "qmi", "ready");
	call_start (f, &call, g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc)), "AddInitialEim",
	            g_variant_new ("(@ay)", g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE,
	                           g_bytes_get_data (configuration, NULL),
	                           g_bytes_get_size (configuration), 1)));
	call_wait (f, &call);
	g_assert_no_error (call.error);
	call_clear (&call);
	esim_test_wait_until_ms (WAIT_MS, gets == 1, "the first poll of the new eIM");
	esim_test_spin (500);
	g_assert_cmpuint (gets, ==, 1);

	fake_mm_modem_receive_sms (f->modem, "+491701234567", "wake up", TRUE);
	esim_test_wait_until_ms (WAIT_MS, gets == 2, "a poll on the wake-up SMS");
	esim_test_wait_until_func (WAIT_MS, sms_wakeup_deleted, f, "the wake-up SMS to be deleted");

	other = g_strdup (fake_mm_modem_receive_sms (f->modem, "+4915100000", "Your bill", TRUE));
	esim_test_spin (1000);
	g_assert_cmpuint (gets, ==, 2);
	g_assert_true (fake_mm_modem_has_sms (f->modem, other));
	g_signal_handlers_disconnect_by_data (eim, &gets);
#else
	skip_without (HAVE_QMI, "built without QMI support");
#endif
}

int
main (int argc, char *argv[])
{
	g_test_init (&argc, &argv, NULL);

#define ADD(path, fn) g_test_add ("/esim/modemmanager/" path, Fixture, NULL, fixture_set_up, \
                                  fn, fixture_tear_down)
	ADD ("absent-then-present", test_no_modemmanager);
	ADD ("virtual-only", test_virtual_only);
	ADD ("pcsc-option", test_pcsc_option);
	ADD ("config-errors", test_config_errors);
	ADD ("qmi/appears", test_qmi_appears);
	ADD ("qmi/enable", test_qmi_enable);
	ADD ("qmi/reread-fails-after-switch", test_qmi_reread_fails_after_switch);
	ADD ("qmi/inhibit-released-on-error", test_qmi_inhibit_released_on_error);
	ADD ("qmi/switch-without-inhibit", test_qmi_switch_without_inhibit);
	ADD ("qmi/reset-fallbacks", test_qmi_reset_fallbacks);
	ADD ("qmi/non-active-slot", test_qmi_non_active_slot);
	ADD ("qmi/access-denied", test_qmi_access_denied);
	ADD ("qmi/client-forgotten", test_qmi_client_forgotten);
	ADD ("qmi/same-port-twice", test_qmi_same_port_twice);
	ADD ("qmi/download-device-info", test_qmi_download_device_info);
	ADD ("qmi/poll-on-data-connected", test_qmi_poll_on_data_connected);
	ADD ("qmi/eim-enable", test_qmi_eim_enable);
	ADD ("qmi/sms-wakeup", test_qmi_sms_wakeup);
	ADD ("qmi/modems-come-and-go", test_modems_come_and_go);
	ADD ("qmi/restart", test_modemmanager_restarts);
	ADD ("qmi/removed-mid-operation", test_removed_mid_operation);
	ADD ("qmi/removed-while-inhibiting", test_removed_while_inhibiting);
	ADD ("qmi/inhibit-released-on-shutdown", test_inhibit_released_on_shutdown);
	ADD ("mbim/enable", test_mbim_enable);
	ADD ("mbim/quirks-file", test_mbim_quirks_file);
	ADD ("mbim/function-restart", test_mbim_function_restart);
	ADD ("at/inhibited", test_at_inhibited);
	ADD ("at/session-ids-257", test_at_session_ids);
#undef ADD

	return g_test_run ();
}
