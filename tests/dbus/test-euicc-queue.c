/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The per-eUICC queue with requests from two sources, in one process: D-Bus
 * calls (through the bus layer, from a second connection on a private bus)
 * and esimd's own requests (esimd_euicc_request_async() and the request
 * callback).  The eUICC is the software eUICC behind a channel that can hold
 * its APDUs, so that an operation can be kept running while others queue.
 */

#include <gio/gio.h>

#include "esim-channel.h"
#include "esim-veuicc.h"
#include "esimd-auth.h"
#include "esimd-config.h"
#include "esimd-error.h"
#include "esimd-euicc.h"
#include "esimd-gdbus.h"
#include "esim-test-wait.h"

#define WAIT_MS 10000
#define EUICC_IFACE "org.freedesktop.Esimd1.Euicc"

/* ---- a channel onto the software eUICC whose APDUs wait while it is held ---- */

#define GATE_TYPE_CHANNEL (gate_channel_get_type ())
G_DECLARE_FINAL_TYPE (GateChannel, gate_channel, GATE, CHANNEL, GObject)

struct _GateChannel {
	GObject     parent_instance;
	EsimVeuicc *card;
	gboolean    held;
	GPtrArray  *waiting;  /* GTask* whose APDU waits for the gate */
};

static void gate_channel_iface_init (EsimChannelInterface *iface);

G_DEFINE_TYPE_WITH_CODE (GateChannel, gate_channel, G_TYPE_OBJECT,
                         G_IMPLEMENT_INTERFACE (ESIM_TYPE_CHANNEL, gate_channel_iface_init))

static void
gate_answer (GTask *task)
{
	GateChannel *self = g_task_get_source_object (task);

	if (g_task_return_error_if_cancelled (task))
		return;
	g_task_return_pointer (task, esim_veuicc_process_apdu (self->card, g_task_get_task_data (task)),
	                       (GDestroyNotify) g_bytes_unref);
}

static const gchar *
gate_get_transport (EsimChannel *channel)
{
	return "virtual";
}

static void
gate_transmit_async (EsimChannel *channel, gint logical_channel, GBytes *command,
                     GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data)
{
	GateChannel *self = GATE_CHANNEL (channel);
	GTask *task = g_task_new (self, cancellable, callback, user_data);

	g_task_set_task_data (task, g_bytes_ref (command), (GDestroyNotify) g_bytes_unref);
	if (self->held) {
		g_ptr_array_add (self->waiting, task);
		return;
	}
	/* GTask defers the answer to the main loop: the caller never sees it inside the call */
	gate_answer (task);
	g_object_unref (task);
}

static GBytes *
gate_transmit_finish (EsimChannel *channel, GAsyncResult *res, GError **error)
{
	return g_task_propagate_pointer (G_TASK (res), error);
}

static void
gate_channel_iface_init (EsimChannelInterface *iface)
{
	iface->get_transport = gate_get_transport;
	iface->transmit_async = gate_transmit_async;
	iface->transmit_finish = gate_transmit_finish;
}

static void
gate_channel_finalize (GObject *object)
{
	GateChannel *self = GATE_CHANNEL (object);

	g_assert_cmpuint (self->waiting->len, ==, 0);
	g_ptr_array_unref (self->waiting);
	g_object_unref (self->card);
	G_OBJECT_CLASS (gate_channel_parent_class)->finalize (object);
}

static void
gate_channel_class_init (GateChannelClass *klass)
{
	G_OBJECT_CLASS (klass)->finalize = gate_channel_finalize;
}

static void
gate_channel_init (GateChannel *self)
{
	self->waiting = g_ptr_array_new ();
}

static void
gate_hold (GateChannel *self)
{
	self->held = TRUE;
}

static void
gate_release (GateChannel *self)
{
	self->held = FALSE;
	for (guint i = 0; i < self->waiting->len; i++) {
		GTask *task = g_ptr_array_index (self->waiting, i);

		gate_answer (task);
		g_object_unref (task);
	}
	g_ptr_array_set_size (self->waiting, 0);
}

/* ---- fixture ---- */

typedef struct {
	GTestDBus                *bus;
	GDBusConnection          *server;
	GDBusConnection          *client;
	GDBusObjectManagerServer *object_manager;
	EsimdConfig              *config;
	EsimdAuth                *auth;
	GateChannel              *gate;
	EsimdEuicc               *euicc;
	GPtrArray                *done;  /* operations that ended and own requests that completed,
	                                  * in that order */
} Fixture;

/* Iterates the main context until @done (@data) is TRUE; fails naming @what after WAIT_MS. */
static void
wait_until (EsimTestWaitCondition done, gpointer data, const gchar *what)
{
	esim_test_wait_until_func (WAIT_MS, done, data, "%s", what);
}

static gboolean
result_arrived (gpointer data)
{
	return *(GAsyncResult **) data != NULL;
}

static void
store_result (GObject *source, GAsyncResult *res, gpointer user_data)
{
	*(GAsyncResult **) user_data = g_object_ref (res);
}

static GDBusConnection *
bus_connection (Fixture *f)
{
	g_autoptr(GError) error = NULL;
	GDBusConnection *connection;

	connection = g_dbus_connection_new_for_address_sync (g_test_dbus_get_bus_address (f->bus),
		G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT |
		G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION, NULL, NULL, &error);
	g_assert_no_error (error);
	return connection;
}

static void
fixture_setup (Fixture *f, gconstpointer data)
{
	g_autoptr(GAsyncResult) probed = NULL;
	g_autoptr(GError) error = NULL;

	f->bus = g_test_dbus_new (G_TEST_DBUS_NONE);
	g_test_dbus_up (f->bus);
	f->server = bus_connection (f);
	f->client = bus_connection (f);
	f->object_manager = g_dbus_object_manager_server_new ("/org/freedesktop/Esimd1");
	g_dbus_object_manager_server_set_connection (f->object_manager, f->server);
	f->config = esimd_config_new ();
	/* as on a session bus: no polkit, every caller allowed */
	f->auth = esimd_auth_new (FALSE);
	f->gate = g_object_new (GATE_TYPE_CHANNEL, NULL);
	f->gate->card = esim_veuicc_new_ephemeral ();
	f->euicc = esimd_euicc_new (f->object_manager, f->auth, f->config, ESIM_CHANNEL (f->gate));
	f->done = g_ptr_array_new_with_free_func (g_free);

	esimd_euicc_probe_async (f->euicc, NULL, store_result, &probed);
	wait_until (result_arrived, &probed, "the probe");
	g_assert_true (esimd_euicc_probe_finish (f->euicc, probed, &error));
	g_assert_no_error (error);
	esimd_euicc_export (f->euicc);
}

static void
fixture_teardown (Fixture *f, gconstpointer data)
{
	g_autoptr(GAsyncResult) closed = NULL;

	gate_release (f->gate);
	esimd_euicc_close_async (f->euicc, store_result, &closed);
	wait_until (result_arrived, &closed, "the eUICC to close");
	/* a removed eUICC is closed already: either answer is fine */
	esimd_euicc_close_finish (f->euicc, closed, NULL);
	g_clear_object (&f->euicc);
	g_clear_object (&f->gate);
	g_clear_object (&f->auth);
	esimd_config_free (f->config);
	g_clear_object (&f->object_manager);
	g_dbus_connection_close_sync (f->client, NULL, NULL);
	g_dbus_connection_close_sync (f->server, NULL, NULL);
	g_clear_object (&f->client);
	g_clear_object (&f->server);
	g_test_dbus_down (f->bus);
	g_clear_object (&f->bus);
	g_ptr_array_unref (f->done);
}

/* ---- the two kinds of source ---- */

/* A D-Bus call on the eUICC, from the client connection. */
typedef struct {
	Fixture  *f;
	gchar    *name;
	GVariant *reply;
	GError   *error;
	gboolean  answered;
} DbusCall;

static void
dbus_call_free (DbusCall *call)
{
	g_free (call->name);
	g_clear_pointer (&call->reply, g_variant_unref);
	g_clear_error (&call->error);
	g_free (call);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DbusCall, dbus_call_free)

static void
dbus_call_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	DbusCall *call = user_data;

	g_assert_false (call->answered);
	call->reply = g_dbus_connection_call_finish (G_DBUS_CONNECTION (source), res, &call->error);
	call->answered = TRUE;
}

static DbusCall *
dbus_call (Fixture *f, const gchar *name, const gchar *method, GVariant *args,
           const gchar *reply_type)
{
	DbusCall *call = g_new0 (DbusCall, 1);

	call->f = f;
	call->name = g_strdup (name);
	g_dbus_connection_call (f->client, g_dbus_connection_get_unique_name (f->server),
	                        esimd_euicc_get_path (f->euicc), EUICC_IFACE, method, args,
	                        reply_type != NULL ? G_VARIANT_TYPE (reply_type) : NULL,
	                        G_DBUS_CALL_FLAGS_NONE, WAIT_MS, NULL, dbus_call_ready, call);
	return call;
}

static gboolean
dbus_call_answered (gpointer data)
{
	return ((DbusCall *) data)->answered;
}

/* One of esimd's own requests, through the request callback itself. */
typedef struct {
	Fixture  *f;
	gchar    *name;
	guint     calls;     /* how often the callback ran */
	GVariant *reply;
	GError   *error;
} OwnRequest;

static void
own_request_free (OwnRequest *own)
{
	g_free (own->name);
	g_clear_pointer (&own->reply, g_variant_unref);
	g_clear_error (&own->error);
	g_free (own);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (OwnRequest, own_request_free)

static void
own_request_done (EsimdRequest *request, const GError *error, GVariant *reply, gpointer user_data)
{
	OwnRequest *own = user_data;

	own->calls++;
	g_clear_error (&own->error);
	g_clear_pointer (&own->reply, g_variant_unref);
	own->error = error != NULL ? g_error_copy (error) : NULL;
	own->reply = reply != NULL ? g_variant_ref (reply) : NULL;
	g_ptr_array_add (own->f->done, g_strdup (own->name));
}

static OwnRequest *
own_request (Fixture *f, const gchar *name, EsimdOpKind kind, GVariant *arg)
{
	OwnRequest *own = g_new0 (OwnRequest, 1);

	own->f = f;
	own->name = g_strdup (name);
	esimd_euicc_submit_request (f->euicc, esimd_request_new (f->euicc, kind, NULL, arg,
	                                                         own_request_done, own));
	return own;
}

static gboolean
own_request_completed (gpointer data)
{
	return ((OwnRequest *) data)->calls > 0;
}

static gboolean
gate_has_waiting (gpointer data)
{
	return ((GateChannel *) data)->waiting->len > 0;
}

typedef struct {
	EsimdEuicc *euicc;
	guint       n;
} WaitingCount;

static gboolean
n_waiting_reached (gpointer data)
{
	WaitingCount *count = data;

	return esimd_euicc_get_n_waiting (count->euicc) >= count->n;
}

static void
wait_n_waiting (Fixture *f, guint n)
{
	WaitingCount count = { f->euicc, n };
	g_autofree gchar *what = g_strdup_printf ("%u requests waiting in the queue", n);

	wait_until (n_waiting_reached, &count, what);
	g_assert_cmpuint (esimd_euicc_get_n_waiting (f->euicc), ==, n);
}

static gchar *
done_order (Fixture *f)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
	g_auto(GStrv) names = NULL;

	for (guint i = 0; i < f->done->len; i++)
		g_strv_builder_add (builder, g_ptr_array_index (f->done, i));
	names = g_strv_builder_end (builder);
	return g_strjoinv (" ", names);
}

/* ---- tests ---- */

/* The exported Euicc interface of the eUICC (the object manager keeps it). */
static EsimdGdbusEuicc *
euicc_skeleton (Fixture *f)
{
	g_autoptr(GDBusInterface) iface = g_dbus_object_manager_get_interface (
		G_DBUS_OBJECT_MANAGER (f->object_manager), esimd_euicc_get_path (f->euicc),
		EUICC_IFACE);

	g_assert_nonnull (iface);
	return ESIMD_GDBUS_EUICC (iface);
}

/* The ICCID of the first profile on the card. */
static gchar *
first_iccid (Fixture *f)
{
	const gchar *const *paths = esimd_gdbus_euicc_get_profiles (euicc_skeleton (f));
	g_autoptr(GDBusInterface) profile = NULL;

	g_assert_true (paths != NULL && paths[0] != NULL);
	profile = g_dbus_object_manager_get_interface (G_DBUS_OBJECT_MANAGER (f->object_manager),
	                                               paths[0], "org.freedesktop.Esimd1.Profile");
	g_assert_nonnull (profile);
	return g_strdup (esimd_gdbus_profile_get_iccid (ESIMD_GDBUS_PROFILE (profile)));
}

/* Progress(…, 100) ends every operation that ran, just before its request completes. */
static void
on_progress (EsimdGdbusEuicc *skeleton, const gchar *operation, guint percent, Fixture *f)
{
	if (percent == 100)
		g_ptr_array_add (f->done, g_strdup (operation));
}

/* D-Bus calls and esimd's own requests share one FIFO queue: they run and complete in the
 * order they were queued, each answered once.  The D-Bus calls set a nickname and esimd
 * lists notifications, so that the Progress signals tell them apart. */
static void
test_queue_order (Fixture *f, gconstpointer data)
{
	EsimdGdbusEuicc *skeleton = euicc_skeleton (f);
	g_autofree gchar *iccid = first_iccid (f);
	g_autoptr(DbusCall) first = NULL;
	g_autoptr(DbusCall) third = NULL;
	g_autoptr(OwnRequest) second = NULL;
	g_autoptr(OwnRequest) fourth = NULL;
	g_autofree gchar *order = NULL;
	gulong handler;

	handler = g_signal_connect (skeleton, "progress", G_CALLBACK (on_progress), f);
	gate_hold (f->gate);
	first = dbus_call (f, "dbus-1", "SetNickname", g_variant_new ("(ss)", iccid, "one"), NULL);
	wait_until (gate_has_waiting, f->gate, "the first D-Bus call to reach the card");
	g_assert_cmpuint (esimd_euicc_get_n_waiting (f->euicc), ==, 0);

	second = own_request (f, "own-2", ESIMD_OP_LIST_NOTIFICATIONS, NULL);
	g_assert_cmpuint (esimd_euicc_get_n_waiting (f->euicc), ==, 1);
	third = dbus_call (f, "dbus-3", "SetNickname", g_variant_new ("(ss)", iccid, "three"),
	                   NULL);
	wait_n_waiting (f, 2);
	fourth = own_request (f, "own-4", ESIMD_OP_LIST_NOTIFICATIONS, NULL);
	g_assert_cmpuint (esimd_euicc_get_n_waiting (f->euicc), ==, 3);
	g_assert_cmpuint (f->done->len, ==, 0);

	gate_release (f->gate);
	wait_until (dbus_call_answered, first, "the first D-Bus call's answer");
	wait_until (dbus_call_answered, third, "the second D-Bus call's answer");
	wait_until (own_request_completed, fourth, "the last request of esimd's own");
	g_signal_handler_disconnect (skeleton, handler);

	order = done_order (f);
	g_assert_cmpstr (order, ==, "set-nickname list-notifications own-2 "
	                            "set-nickname list-notifications own-4");
	g_assert_no_error (first->error);
	g_assert_no_error (third->error);
	g_assert_cmpuint (second->calls, ==, 1);
	g_assert_no_error (second->error);
	g_assert_nonnull (second->reply);
	g_assert_cmpstr (g_variant_get_type_string (second->reply), ==, "aa{sv}");
	g_assert_cmpuint (fourth->calls, ==, 1);
	g_assert_no_error (fourth->error);
}

/* esimd_euicc_request_async(): the GTask entry point answers from the main loop. */
static void
test_own_async (Fixture *f, gconstpointer data)
{
	g_autoptr(DbusCall) call = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GVariant) reply = NULL;
	g_autoptr(GVariant) listed = NULL;
	g_autoptr(GError) error = NULL;

	esimd_euicc_request_async (f->euicc, ESIMD_OP_LIST_NOTIFICATIONS, NULL, NULL, store_result,
	                           &res);
	g_assert_null (res);
	wait_until (result_arrived, &res, "esimd's own list-notifications");
	g_assert_true (esimd_euicc_request_finish (f->euicc, res, &reply, &error));
	g_assert_no_error (error);
	g_assert_nonnull (reply);
	g_assert_cmpstr (g_variant_get_type_string (reply), ==, "aa{sv}");

	/* what a client gets for the same operation */
	call = dbus_call (f, "dbus", "ListNotifications", NULL, "(aa{sv})");
	wait_until (dbus_call_answered, call, "the D-Bus ListNotifications answer");
	g_assert_no_error (call->error);
	listed = g_variant_get_child_value (call->reply, 0);
	g_assert_true (g_variant_equal (listed, reply));
}

/* An own request is validated like a D-Bus call, and refused without touching LastError. */
static void
test_own_refused (Fixture *f, gconstpointer data)
{
	g_autoptr(OwnRequest) bad = NULL;
	g_autoptr(GAsyncResult) res = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GVariant) reply = NULL;

	/* a sequence number must be a t: refused before this returns */
	bad = own_request (f, "bad", ESIMD_OP_REMOVE_NOTIFICATION, g_variant_new_string ("1"));
	g_assert_cmpuint (bad->calls, ==, 1);
	g_assert_error (bad->error, ESIMD_ERROR, ESIMD_ERROR_INVALID_ARGS);

	/* through the GTask entry point: the answer comes from the main loop, not inside */
	esimd_euicc_request_async (f->euicc, ESIMD_OP_ENABLE_PROFILE, "123", NULL, store_result,
	                           &res);
	g_assert_null (res);
	wait_until (result_arrived, &res, "the refusal of a bad ICCID");
	g_assert_false (esimd_euicc_request_finish (f->euicc, res, &reply, &error));
	g_assert_error (error, ESIMD_ERROR, ESIMD_ERROR_INVALID_ARGS);
	g_assert_null (reply);

	g_assert_cmpstr (esimd_gdbus_euicc_get_last_error (euicc_skeleton (f)), ==, "");
}

/* Removal while an own request runs and others wait: each is answered once, with the
 * reason, at once; the running operation ends later without a second answer. */
static void
test_removed_mid_operation (Fixture *f, gconstpointer data)
{
	g_autoptr(OwnRequest) running = NULL;
	g_autoptr(OwnRequest) waiting = NULL;
	g_autoptr(OwnRequest) late = NULL;
	g_autoptr(DbusCall) call = NULL;
	g_autoptr(GAsyncResult) removed = NULL;
	g_autoptr(GError) reason = NULL;
	g_autoptr(GError) error = NULL;

	gate_hold (f->gate);
	running = own_request (f, "running", ESIMD_OP_LIST_NOTIFICATIONS, NULL);
	wait_until (gate_has_waiting, f->gate, "the running request to reach the card");
	waiting = own_request (f, "waiting", ESIMD_OP_LIST_NOTIFICATIONS, NULL);
	call = dbus_call (f, "dbus", "ListNotifications", NULL, "(aa{sv})");
	wait_n_waiting (f, 2);

	reason = g_error_new_literal (ESIMD_ERROR, ESIMD_ERROR_CARD_ERROR, "the card was pulled");
	esimd_euicc_remove_async (f->euicc, reason, store_result, &removed);
	g_assert_cmpuint (running->calls, ==, 1);
	g_assert_error (running->error, ESIMD_ERROR, ESIMD_ERROR_CARD_ERROR);
	g_assert_cmpuint (waiting->calls, ==, 1);
	g_assert_error (waiting->error, ESIMD_ERROR, ESIMD_ERROR_CARD_ERROR);

	/* nothing new is queued on a removed eUICC */
	late = own_request (f, "late", ESIMD_OP_LIST_NOTIFICATIONS, NULL);
	g_assert_cmpuint (late->calls, ==, 1);
	g_assert_error (late->error, ESIMD_ERROR, ESIMD_ERROR_CARD_ERROR);

	/* the card answers the held APDU: the cancelled operation ends, the channel closes */
	gate_release (f->gate);
	wait_until (result_arrived, &removed, "the removal to finish");
	g_assert_true (esimd_euicc_remove_finish (f->euicc, removed, &error));
	g_assert_no_error (error);
	wait_until (dbus_call_answered, call, "the queued D-Bus call's answer");
	g_assert_true (g_dbus_error_is_remote_error (call->error));
	g_assert_cmpstr (g_dbus_error_get_remote_error (call->error), ==,
	                 "org.freedesktop.Esimd1.Error.CardError");
	g_assert_cmpuint (running->calls, ==, 1);
	g_assert_cmpuint (waiting->calls, ==, 1);
	g_assert_cmpuint (late->calls, ==, 1);
}

int
main (int argc, char *argv[])
{
	g_test_init (&argc, &argv, NULL);

	g_test_add ("/euicc-queue/order", Fixture, NULL, fixture_setup, test_queue_order,
	            fixture_teardown);
	g_test_add ("/euicc-queue/own-async", Fixture, NULL, fixture_setup, test_own_async,
	            fixture_teardown);
	g_test_add ("/euicc-queue/own-refused", Fixture, NULL, fixture_setup, test_own_refused,
	            fixture_teardown);
	g_test_add ("/euicc-queue/removed-mid-operation", Fixture, NULL, fixture_setup,
	            test_removed_mid_operation, fixture_teardown);
	return g_test_run ();
}
