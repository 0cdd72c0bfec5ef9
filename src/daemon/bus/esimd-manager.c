/* SPDX-License-Identifier: GPL-2.0-or-later */

#include "esim-channel-virtual.h"
#include "esim-file.h"
#include "esim-veuicc.h"
#include "esimd-auth.h"
#include "esimd-error.h"
#include "esimd-euicc.h"
#include "esimd-gdbus.h"
#include "esimd-log.h"
#include "esimd-manager.h"
#include "esimd-modem-channel.h"
#include "esimd-modem-watcher.h"

/* WITH_PCSC: set by meson when the PC/SC discovery is built */
#ifdef WITH_PCSC
#include "esim-channel-pcsc.h"
#include "esimd-pcsc.h"
#endif

struct _EsimdManager {
	GObject                   parent_instance;
	GDBusConnection          *connection;
	const EsimdConfig        *config;
	EsimdAuth                *auth;
	GDBusObjectManagerServer *object_manager;
	EsimdGdbusManager        *skeleton;
	GPtrArray                *euiccs;         /* EsimdEuicc* in the order they were added */
	GHashTable               *virtual_files;  /* real path -> EsimVeuicc, attached already */
	GHashTable               *virtual_given;  /* the paths they were given as */
	GStrv                     pcsc_readers;
	gboolean                  pcsc_auto_detect;
	gboolean                  watch_modems;
	gboolean                  started;
	EsimdModemWatcher        *watcher;
	GHashTable               *modem_euiccs;   /* "uid#slot" -> EsimdEuicc* (in euiccs) */
	guint                     mm_watch_id;    /* for ModemManagerRunning */
	EsimdStore               *store;          /* the state directory; NULL: none */
#ifdef WITH_PCSC
	EsimdPcscWatcher         *pcsc_watcher;
	GHashTable               *pcsc_euiccs;    /* reader -> EsimdEuicc* (in euiccs) */
	GHashTable               *pcsc_pending;   /* readers that changed during the start */
#endif
};

G_DEFINE_TYPE (EsimdManager, esimd_manager, G_TYPE_OBJECT)

/* Every eUICC, however found, keeps its notifications' state in the state directory. */
static EsimdEuicc *
manager_euicc_new (EsimdManager *self, EsimChannel *channel)
{
	EsimdEuicc *euicc = esimd_euicc_new (self->object_manager, self->auth, self->config,
	                                     channel);

	esimd_euicc_set_store (euicc, self->store);
	return euicc;
}

void
esimd_manager_set_store (EsimdManager *self, EsimdStore *store)
{
	g_return_if_fail (ESIMD_IS_MANAGER (self));
	g_return_if_fail (self->euiccs->len == 0);

	self->store = store;
}

/* ---- SetLogging ---- */

typedef struct {
	EsimdManager          *self;
	GDBusMethodInvocation *invocation;
	gchar                 *level;
} SetLoggingContext;

static void
set_logging_context_free (SetLoggingContext *ctx)
{
	g_object_unref (ctx->self);
	g_object_unref (ctx->invocation);
	g_free (ctx->level);
	g_free (ctx);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (SetLoggingContext, set_logging_context_free)

static void
set_logging_auth_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(SetLoggingContext) ctx = user_data;
	g_autoptr(GError) error = NULL;
	EsimdLogLevel level;

	if (!esimd_auth_check_finish (ESIMD_AUTH (source), res, &error)) {
		esimd_error_return (ctx->invocation, error);
		return;
	}
	if (!esimd_log_level_from_string (ctx->level, &level)) {
		g_set_error (&error, ESIMD_ERROR, ESIMD_ERROR_INVALID_ARGS,
		             "invalid log level \"%s\" (expected error, warning, info or debug)",
		             ctx->level);
		esimd_error_return (ctx->invocation, error);
		return;
	}
	esimd_log_set_level (level);
	g_message ("log level set to %s by %s", ctx->level,
	           g_dbus_method_invocation_get_sender (ctx->invocation));
	esimd_gdbus_manager_complete_set_logging (ctx->self->skeleton, ctx->invocation);
}

static gboolean
handle_set_logging (EsimdGdbusManager *skeleton,
                    GDBusMethodInvocation *invocation,
                    const gchar *level,
                    EsimdManager *self)
{
	SetLoggingContext *ctx = g_new0 (SetLoggingContext, 1);

	ctx->self = g_object_ref (self);
	ctx->invocation = g_object_ref (invocation);
	ctx->level = g_strdup (level);
	esimd_auth_check_async (self->auth, invocation, ESIMD_AUTH_SET_LOGGING, NULL,
	                        set_logging_auth_ready, ctx);
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- Poll ---- */

/* One poll of every eIM of every eUICC. */
typedef struct {
	guint   pending;
	guint   polled;   /* eUICCs with an eIM */
	guint   failed;
	GError *error;    /* the first failure */
} PollAllContext;

static void
poll_all_context_free (PollAllContext *ctx)
{
	g_clear_error (&ctx->error);
	g_free (ctx);
}

static void
poll_all_euicc_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	PollAllContext *ctx = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;

	if (!esimd_euicc_request_finish (ESIMD_EUICC (source), res, NULL, &error)) {
		ctx->failed++;
		if (ctx->error == NULL)
			ctx->error = g_steal_pointer (&error);
	}
	if (--ctx->pending > 0)
		return;
	if (ctx->error != NULL)
		g_task_return_error (task, g_steal_pointer (&ctx->error));
	else
		g_task_return_boolean (task, TRUE);
}

void
esimd_manager_poll_all_async (EsimdManager *self, GAsyncReadyCallback callback,
                              gpointer user_data)
{
	g_autoptr(GTask) task = NULL;
	PollAllContext *ctx;

	g_return_if_fail (ESIMD_IS_MANAGER (self));

	task = g_task_new (self, NULL, callback, user_data);
	g_task_set_source_tag (task, esimd_manager_poll_all_async);
	ctx = g_new0 (PollAllContext, 1);
	g_task_set_task_data (task, ctx, (GDestroyNotify) poll_all_context_free);
	/* one reference for the loop, so that the last answer cannot end it early */
	ctx->pending = 1;
	for (guint i = 0; i < self->euiccs->len; i++) {
		EsimdEuicc *euicc = g_ptr_array_index (self->euiccs, i);

		if (!esimd_euicc_has_eim (euicc, NULL))
			continue;
		ctx->pending++;
		ctx->polled++;
		esimd_euicc_request_async (euicc, ESIMD_OP_POLL, NULL, g_variant_new_string (""),
		                           poll_all_euicc_done, g_object_ref (task));
	}
	if (ctx->polled == 0) {
		ctx->pending = 0;
		g_task_return_new_error (task, ESIMD_ERROR, ESIMD_ERROR_NOT_FOUND,
		                         "no eUICC has an eIM");
		return;
	}
	if (--ctx->pending == 0) {
		if (ctx->error != NULL)
			g_task_return_error (task, g_steal_pointer (&ctx->error));
		else
			g_task_return_boolean (task, TRUE);
	}
}

gboolean
esimd_manager_poll_all_finish (EsimdManager *self, GAsyncResult *res, guint *polled,
                               guint *failed, GError **error)
{
	PollAllContext *ctx;

	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);

	ctx = g_task_get_task_data (G_TASK (res));
	if (polled != NULL)
		*polled = ctx->polled;
	if (failed != NULL)
		*failed = ctx->failed;
	return g_task_propagate_boolean (G_TASK (res), error);
}

static void
poll_all_dbus_done (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GDBusMethodInvocation) invocation = user_data;
	g_autoptr(GError) error = NULL;

	if (!esimd_manager_poll_all_finish (ESIMD_MANAGER (source), res, NULL, NULL, &error))
		esimd_error_return (invocation, error);
	else
		g_dbus_method_invocation_return_value (invocation, NULL);
}

static void
poll_auth_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GDBusMethodInvocation) invocation = user_data;
	g_autoptr(GError) error = NULL;
	EsimdManager *self = g_object_get_data (G_OBJECT (invocation), "esimd-manager");

	if (!esimd_auth_check_finish (ESIMD_AUTH (source), res, &error)) {
		esimd_error_return (invocation, error);
		return;
	}
	esimd_manager_poll_all_async (self, poll_all_dbus_done, g_steal_pointer (&invocation));
}

static gboolean
handle_poll (EsimdGdbusManager *skeleton, GDBusMethodInvocation *invocation, EsimdManager *self)
{
	g_object_set_data_full (G_OBJECT (invocation), "esimd-manager", g_object_ref (self),
	                        g_object_unref);
	esimd_auth_check_async (self->auth, invocation, ESIMD_AUTH_POLL, NULL, poll_auth_ready,
	                        g_object_ref (invocation));
	return G_DBUS_METHOD_INVOCATION_HANDLED;
}

/* ---- eUICCs ---- */

/* The software eUICC attached from the same file as @card under another name (a hard link). */
static EsimVeuicc *
find_virtual_by_file (EsimdManager *self, EsimVeuicc *card)
{
	const EsimFileId *id = esim_veuicc_get_file_id (card);
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init (&iter, self->virtual_files);
	while (g_hash_table_iter_next (&iter, NULL, &value)) {
		if (esim_file_id_equal (esim_veuicc_get_file_id (value), id))
			return value;
	}
	return NULL;
}

gboolean
esimd_manager_add_virtual_euicc (EsimdManager *self, const gchar *path)
{
	g_autofree gchar *canonical = NULL;
	g_autofree gchar *real_path = NULL;
	g_autoptr(EsimVeuicc) card = NULL;
	g_autoptr(EsimChannelVirtual) channel = NULL;
	g_autoptr(GError) error = NULL;
	EsimVeuicc *same;
	EsimdEuicc *euicc;

	g_return_val_if_fail (ESIMD_IS_MANAGER (self), FALSE);
	g_return_val_if_fail (path != NULL, FALSE);

	/* two eUICCs over one state file would overwrite each other's changes: one file is
	 * one eUICC, whatever symbolic or hard links lead to it */
	canonical = g_canonicalize_filename (path, NULL);
	real_path = esim_file_resolve (canonical, &error);
	if (real_path == NULL) {
		g_warning ("refusing software eUICC %s: %s", canonical, error->message);
		return FALSE;
	}
	if (g_hash_table_contains (self->virtual_files, real_path)) {
		if (g_hash_table_contains (self->virtual_given, canonical))
			g_debug ("software eUICC %s given twice", canonical);
		else if (g_strcmp0 (canonical, real_path) == 0)
			g_warning ("software eUICC %s is attached already through a link: ignored",
			           canonical);
		else
			g_warning ("software eUICC %s leads to %s, attached already: ignored", canonical,
			           real_path);
		return FALSE;
	}
	card = esim_veuicc_new_from_file (canonical, TRUE, &error);
	if (card == NULL) {
		g_warning ("refusing software eUICC %s: %s", canonical, error->message);
		return FALSE;
	}
	same = find_virtual_by_file (self, card);
	if (same != NULL) {
		g_warning ("software eUICC %s is the same file as %s (a hard link), attached already: "
		           "ignored", canonical, esim_veuicc_get_path (same));
		return FALSE;
	}
	channel = esim_channel_virtual_new (card);
	euicc = manager_euicc_new (self, ESIM_CHANNEL (channel));
	g_ptr_array_add (self->euiccs, euicc);
	if (g_strcmp0 (canonical, esim_veuicc_get_path (card)) == 0)
		esimd_obj_info (esimd_euicc_get_log_id (euicc), "software eUICC %s", canonical);
	else
		esimd_obj_info (esimd_euicc_get_log_id (euicc), "software eUICC %s (kept in %s)",
		                canonical, esim_veuicc_get_path (card));
	g_hash_table_insert (self->virtual_files, g_strdup (esim_veuicc_get_path (card)),
	                     g_object_ref (card));
	g_hash_table_add (self->virtual_given, g_steal_pointer (&canonical));
	return TRUE;
}

guint
esimd_manager_get_n_euiccs (EsimdManager *self)
{
	g_return_val_if_fail (ESIMD_IS_MANAGER (self), 0);
	return self->euiccs->len;
}

/* Updates Euiccs from the eUICCs on the bus; @export_all puts every eUICC there first. */
static void
manager_publish_euiccs (EsimdManager *self, gboolean export_all)
{
	g_autoptr(GPtrArray) paths = g_ptr_array_new ();

	for (guint i = 0; i < self->euiccs->len; i++) {
		EsimdEuicc *euicc = g_ptr_array_index (self->euiccs, i);

		if (export_all)
			esimd_euicc_export (euicc);
		if (esimd_euicc_is_exported (euicc))
			g_ptr_array_add (paths, (gpointer) esimd_euicc_get_path (euicc));
	}
	g_ptr_array_add (paths, NULL);
	esimd_gdbus_manager_set_euiccs (self->skeleton, (const gchar *const *) paths->pdata);
	g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->skeleton));
}

/* ---- start: export root -> probe every eUICC -> export them ---- */

typedef enum {
	START_STEP_FIRST,
	START_STEP_EXPORT,
	START_STEP_PCSC,
	START_STEP_PROBE,
	START_STEP_PUBLISH,
	START_STEP_LAST,
} StartStep;

typedef struct {
	StartStep step;
	guint     probes_pending;
} StartContext;

static void start_step (GTask *task);
static gboolean manager_discover_pcsc (EsimdManager *self, GTask *task);

static void
start_probe_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	StartContext *ctx = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;

	/* a card that failed its probe is still shown, in State "error" */
	esimd_euicc_probe_finish (ESIMD_EUICC (source), res, &error);
	if (--ctx->probes_pending > 0)
		return;
	ctx->step++;
	start_step (task);
}

#ifdef WITH_PCSC
/* Adds an eUICC behind the PC/SC reader of @channel, unless it has one;
 * the caller probes it. */
static EsimdEuicc *
manager_pcsc_attach (EsimdManager *self, EsimChannelPcsc *channel)
{
	const gchar *reader = esim_channel_pcsc_get_reader_name (channel);
	EsimdEuicc *euicc;

	if (g_hash_table_contains (self->pcsc_euiccs, reader))
		return NULL;
	euicc = manager_euicc_new (self, ESIM_CHANNEL (channel));
	g_ptr_array_add (self->euiccs, euicc);
	g_hash_table_insert (self->pcsc_euiccs, g_strdup (reader), euicc);
	esimd_obj_info (esimd_euicc_get_log_id (euicc), "PC/SC reader \"%s\"", reader);
	if (!esimd_pcsc_watcher_has_card (self->pcsc_watcher, reader))
		esimd_euicc_set_card_present (euicc, FALSE);
	return euicc;
}

static void manager_modem_probe_ready (GObject *source, GAsyncResult *res, gpointer user_data);

/* A reader (or card) that came after the start: attached and probed at once. */
static void
manager_pcsc_attach_now (EsimdManager *self, EsimChannelPcsc *channel)
{
	EsimdEuicc *euicc = manager_pcsc_attach (self, channel);

	if (euicc != NULL)
		esimd_euicc_probe_async (euicc, NULL, manager_modem_probe_ready,
		                         g_object_ref (self));
}

static void
manager_pcsc_probe_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(EsimdManager) self = user_data;
	g_autoptr(GError) error = NULL;
	g_autoptr(EsimChannelPcsc) channel = esimd_pcsc_probe_reader_finish (res, &error);

	/* not an eUICC (the probe said why in the debug log), or esimd is stopping */
	if (channel == NULL || self->pcsc_watcher == NULL)
		return;
	manager_pcsc_attach_now (self, channel);
}

/* A reader without an eUICC object: attached if named, probed with AutoDetect. */
static void
manager_pcsc_consider (EsimdManager *self, const gchar *reader)
{
	if (g_hash_table_contains (self->pcsc_euiccs, reader))
		return;
	if (self->pcsc_readers != NULL && self->pcsc_readers[0] != NULL) {
		g_auto(GStrv) readers = esimd_pcsc_watcher_dup_readers (self->pcsc_watcher);
		g_autoptr(EsimChannelPcsc) channel = NULL;

		if (!esimd_pcsc_names_select ((const gchar *const *) self->pcsc_readers,
		                              (const gchar *const *) readers, reader))
			return;
		channel = esim_channel_pcsc_new (reader);
		manager_pcsc_attach_now (self, channel);
		return;
	}
	if (self->pcsc_auto_detect && esimd_pcsc_watcher_has_card (self->pcsc_watcher, reader))
		esimd_pcsc_probe_reader_async (reader, NULL, manager_pcsc_probe_ready,
		                               g_object_ref (self));
}

/* What changed in @reader; until the start is done it is looked at afterwards. */
static void
manager_pcsc_reader_changed (EsimdManager *self, const gchar *reader)
{
	EsimdEuicc *euicc = g_hash_table_lookup (self->pcsc_euiccs, reader);
	gboolean has_card = esimd_pcsc_watcher_has_card (self->pcsc_watcher, reader);

	if (!self->started) {
		g_hash_table_add (self->pcsc_pending, g_strdup (reader));
		return;
	}
	if (euicc != NULL)
		esimd_euicc_set_card_present (euicc, has_card);
	else
		manager_pcsc_consider (self, reader);
}

static void
manager_pcsc_card_inserted (EsimdPcscWatcher *watcher, const gchar *reader, gpointer user_data)
{
	EsimdManager *self = user_data;
	EsimdEuicc *euicc = g_hash_table_lookup (self->pcsc_euiccs, reader);

	/* a card swapped between two looks arrives as removed, then inserted */
	if (euicc != NULL && self->started)
		esimd_euicc_set_card_present (euicc, TRUE);
	else
		manager_pcsc_reader_changed (self, reader);
}

static void
manager_pcsc_card_removed (EsimdPcscWatcher *watcher, const gchar *reader, gpointer user_data)
{
	EsimdManager *self = user_data;
	EsimdEuicc *euicc = g_hash_table_lookup (self->pcsc_euiccs, reader);

	if (euicc != NULL && self->started)
		esimd_euicc_set_card_present (euicc, FALSE);
	else
		manager_pcsc_reader_changed (self, reader);
}

static void
manager_pcsc_reader_added (EsimdPcscWatcher *watcher, const gchar *reader, gpointer user_data)
{
	manager_pcsc_reader_changed (user_data, reader);
}

/* The readers that changed while esimd started, as they are now. */
static void
manager_pcsc_started (EsimdManager *self)
{
	g_autoptr(GHashTable) pending = NULL;
	GHashTableIter iter;
	gpointer reader;

	if (self->pcsc_watcher == NULL)
		return;
	pending = g_steal_pointer (&self->pcsc_pending);
	self->pcsc_pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
	g_hash_table_iter_init (&iter, pending);
	while (g_hash_table_iter_next (&iter, &reader, NULL))
		manager_pcsc_reader_changed (self, reader);
}

static void
manager_pcsc_stop (EsimdManager *self)
{
	if (self->pcsc_watcher == NULL)
		return;
	g_signal_handlers_disconnect_by_data (self->pcsc_watcher, self);
	esimd_pcsc_watcher_stop (self->pcsc_watcher);
	g_clear_object (&self->pcsc_watcher);
}

static void
start_pcsc_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdManager *self = g_task_get_source_object (task);
	StartContext *ctx = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) channels = esimd_pcsc_discover_finish (res, &error);

	if (channels == NULL) {
		g_warning ("PC/SC readers: %s", error->message);
	} else {
		for (guint i = 0; i < channels->len; i++)
			manager_pcsc_attach (self, g_ptr_array_index (channels, i));
		if (channels->len == 0)
			g_message ("no PC/SC reader holds an eUICC");
	}
	ctx->step++;
	start_step (task);
}

/* The watcher had its first look: readers are discovered against it. */
static void
start_pcsc_watching (GObject *source, GAsyncResult *res, gpointer user_data)
{
	GTask *task = user_data;
	EsimdManager *self = g_task_get_source_object (task);
	gboolean named = self->pcsc_readers != NULL && self->pcsc_readers[0] != NULL;

	esimd_pcsc_watcher_start_finish (ESIMD_PCSC_WATCHER (source), res);
	esimd_pcsc_discover_async (named ? (const gchar *const *) self->pcsc_readers : NULL,
	                           g_task_get_cancellable (task), start_pcsc_ready, task);
}
#endif

/* Starts the discovery of PC/SC readers; FALSE when there is nothing to discover. */
static gboolean
manager_discover_pcsc (EsimdManager *self, GTask *task)
{
	gboolean named = self->pcsc_readers != NULL && self->pcsc_readers[0] != NULL;

	if (!named && !self->pcsc_auto_detect)
		return FALSE;
#ifdef WITH_PCSC
	/* the readers are followed from before they are discovered: nothing is missed */
	self->pcsc_watcher = esimd_pcsc_watcher_new ();
	g_signal_connect (self->pcsc_watcher, "reader-added",
	                  G_CALLBACK (manager_pcsc_reader_added), self);
	g_signal_connect (self->pcsc_watcher, "card-inserted",
	                  G_CALLBACK (manager_pcsc_card_inserted), self);
	g_signal_connect (self->pcsc_watcher, "card-removed",
	                  G_CALLBACK (manager_pcsc_card_removed), self);
	esimd_pcsc_watcher_start_async (self->pcsc_watcher, start_pcsc_watching, task);
	return TRUE;
#else
	g_warning ("PC/SC readers are configured, but esimd was built without PC/SC support");
	return FALSE;
#endif
}

static void
start_step (GTask *task)
{
	EsimdManager *self = g_task_get_source_object (task);
	StartContext *ctx = g_task_get_task_data (task);
	GError *error = NULL;

	switch (ctx->step) {
	case START_STEP_FIRST:
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case START_STEP_EXPORT:
		g_dbus_object_manager_server_set_connection (self->object_manager, self->connection);
		if (!g_dbus_interface_skeleton_export (G_DBUS_INTERFACE_SKELETON (self->skeleton),
		                                       self->connection, ESIMD_ROOT_PATH, &error)) {
			g_task_return_error (task, error);
			g_object_unref (task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case START_STEP_PCSC:
		if (manager_discover_pcsc (self, task))
			return;
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case START_STEP_PROBE:
		if (self->euiccs->len > 0) {
			/* cards are independent: probe them all at once */
			ctx->probes_pending = self->euiccs->len;
			for (guint i = 0; i < self->euiccs->len; i++)
				esimd_euicc_probe_async (g_ptr_array_index (self->euiccs, i),
				                         g_task_get_cancellable (task), start_probe_ready,
				                         task);
			return;
		}
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case START_STEP_PUBLISH:
		manager_publish_euiccs (self, TRUE);
		self->started = TRUE;
#ifdef WITH_PCSC
		manager_pcsc_started (self);
#endif
		if (self->watcher != NULL)
			esimd_modem_watcher_start (self->watcher);
		ctx->step++;
		G_GNUC_FALLTHROUGH;
	case START_STEP_LAST:
	default:
		g_task_return_boolean (task, TRUE);
		g_object_unref (task);
		return;
	}
}

void
esimd_manager_start_async (EsimdManager *self,
                           GCancellable *cancellable,
                           GAsyncReadyCallback callback,
                           gpointer user_data)
{
	GTask *task;

	g_return_if_fail (ESIMD_IS_MANAGER (self));

	task = g_task_new (self, cancellable, callback, user_data);
	g_task_set_source_tag (task, esimd_manager_start_async);
	g_task_set_task_data (task, g_new0 (StartContext, 1), g_free);
	start_step (task);
}

gboolean
esimd_manager_start_finish (EsimdManager *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

/* ---- modems (ModemManager) ---- */

static void
manager_euicc_removed (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GError) error = NULL;

	if (!esimd_euicc_remove_finish (ESIMD_EUICC (source), res, &error))
		g_debug ("removing %s: %s", esimd_euicc_get_log_id (ESIMD_EUICC (source)),
		         error->message);
}

/* Takes a modem's eUICC off the bus; its running operation fails with @message. */
static void
manager_remove_modem_euicc (EsimdManager *self, EsimdEuicc *euicc, const gchar *message)
{
	g_autoptr(GError) reason = g_error_new_literal (ESIMD_ERROR, ESIMD_ERROR_CARD_ERROR, message);
	g_autofree gchar *key = esimd_modem_euicc_get_key (esimd_euicc_get_modem (euicc));

	g_signal_handlers_disconnect_by_data (euicc, self);
	/* the objects leave the bus at once; the channel is closed in the background,
	 * the removal keeping the eUICC alive until then */
	esimd_euicc_remove_async (euicc, reason, manager_euicc_removed, NULL);
	g_hash_table_remove (self->modem_euiccs, key);
	g_ptr_array_remove (self->euiccs, euicc);
	manager_publish_euiccs (self, FALSE);
}

static void
manager_modem_lost (EsimdEuicc *euicc, gpointer user_data)
{
	manager_remove_modem_euicc (user_data, euicc, "the modem was removed");
}

static void
manager_modem_probe_ready (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(EsimdManager) self = user_data;
	EsimdEuicc *euicc = ESIMD_EUICC (source);
	g_autoptr(GError) error = NULL;

	/* a card that failed its probe is still shown, in State "error" */
	esimd_euicc_probe_finish (euicc, res, &error);
	if (self->euiccs == NULL || !g_ptr_array_find (self->euiccs, euicc, NULL))
		return;
	esimd_euicc_export (euicc);
	manager_publish_euiccs (self, FALSE);
}

static gboolean
manager_port_changed (const EsimdModemEuicc *old, const EsimdModemEuicc *info)
{
	return g_strcmp0 (old->port, info->port) != 0 ||
	       g_strcmp0 (old->transport, info->transport) != 0;
}

static void
manager_modem_euicc_added (EsimdModemWatcher *watcher, const EsimdModemEuicc *info,
                           gpointer user_data)
{
	EsimdManager *self = user_data;
	g_autofree gchar *key = esimd_modem_euicc_get_key (info);
	EsimdEuicc *euicc = g_hash_table_lookup (self->modem_euiccs, key);
	gboolean per_access = g_strcmp0 (info->transport, "at") == 0;
	g_autoptr(EsimChannel) channel = NULL;
	g_autoptr(GError) error = NULL;

	if (!esimd_modem_channel_supported (info->transport, &error)) {
		g_warning ("ignoring the eUICC in slot %u of modem %s: %s", info->slot,
		           info->modem_path, error->message);
		return;
	}
	/* the same eUICC again, e.g. after an inhibit or a reset under a new modem path */
	if (euicc != NULL) {
		if (!per_access && manager_port_changed (esimd_euicc_get_modem (euicc), info)) {
			channel = esimd_modem_channel_new (info, self->config, &error);
			if (channel == NULL)
				g_warning ("modem %s: %s", info->modem_path, error->message);
		}
		esimd_euicc_modem_appeared (euicc, info, channel);
		return;
	}
	if (!per_access) {
		channel = esimd_modem_channel_new (info, self->config, &error);
		if (channel == NULL) {
			g_warning ("ignoring the eUICC in slot %u of modem %s: %s", info->slot,
			           info->modem_path, error->message);
			return;
		}
	}
	euicc = manager_euicc_new (self, channel);
	esimd_euicc_set_modem (euicc, watcher, info, per_access);
	g_signal_connect (euicc, "modem-lost", G_CALLBACK (manager_modem_lost), self);
	g_ptr_array_add (self->euiccs, euicc);
	g_hash_table_insert (self->modem_euiccs, g_steal_pointer (&key), euicc);
	/* on the bus once probed, so that clients see complete objects */
	esimd_euicc_probe_async (euicc, NULL, manager_modem_probe_ready, g_object_ref (self));
}

static void
manager_modem_euicc_removed (EsimdModemWatcher *watcher, const EsimdModemEuicc *info,
                             gboolean modemmanager_gone, gpointer user_data)
{
	EsimdManager *self = user_data;
	g_autofree gchar *key = esimd_modem_euicc_get_key (info);
	EsimdEuicc *euicc = g_hash_table_lookup (self->modem_euiccs, key);

	if (euicc == NULL)
		return;
	if (modemmanager_gone) {
		manager_remove_modem_euicc (self, euicc, "ModemManager stopped: the modem is gone");
		return;
	}
	if (!esimd_euicc_modem_vanished (euicc))
		manager_remove_modem_euicc (self, euicc, "the modem was removed");
}

static void
manager_mm_appeared_cb (GDBusConnection *connection, const gchar *name, const gchar *owner,
                        gpointer user_data)
{
	EsimdManager *self = user_data;

	esimd_gdbus_manager_set_modem_manager_running (self->skeleton, TRUE);
	g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->skeleton));
}

static void
manager_mm_vanished_cb (GDBusConnection *connection, const gchar *name, gpointer user_data)
{
	EsimdManager *self = user_data;

	esimd_gdbus_manager_set_modem_manager_running (self->skeleton, FALSE);
	g_dbus_interface_skeleton_flush (G_DBUS_INTERFACE_SKELETON (self->skeleton));
}

/* Every eUICC of the modem @uid polls its eIMs: data is flowing again. */
static void
manager_modem_data_connected (EsimdModemWatcher *watcher, const gchar *uid, gpointer user_data)
{
	EsimdManager *self = user_data;
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init (&iter, self->modem_euiccs);
	while (g_hash_table_iter_next (&iter, NULL, &value)) {
		EsimdEuicc *euicc = value;
		const EsimdModemEuicc *modem = esimd_euicc_get_modem (euicc);

		if (modem != NULL && g_strcmp0 (modem->uid, uid) == 0)
			esimd_euicc_data_connected (euicc);
	}
}

void
esimd_manager_watch_modems (EsimdManager *self)
{
	g_return_if_fail (ESIMD_IS_MANAGER (self));
	g_return_if_fail (!self->started);

	if (self->watcher != NULL)
		return;
	self->watcher = esimd_modem_watcher_new (self->connection);
	g_signal_connect (self->watcher, "euicc-added", G_CALLBACK (manager_modem_euicc_added),
	                  self);
	g_signal_connect (self->watcher, "euicc-removed", G_CALLBACK (manager_modem_euicc_removed),
	                  self);
	g_signal_connect (self->watcher, "data-connected", G_CALLBACK (manager_modem_data_connected),
	                  self);
}

void
esimd_manager_set_pcsc (EsimdManager *self, const gchar *const *readers, gboolean auto_detect)
{
	g_return_if_fail (ESIMD_IS_MANAGER (self));

	g_strfreev (self->pcsc_readers);
	self->pcsc_readers = g_strdupv ((gchar **) readers);
	self->pcsc_auto_detect = auto_detect;
}

/* ---- stop ---- */

static void
stop_euicc_closed (GObject *source, GAsyncResult *res, gpointer user_data)
{
	g_autoptr(GTask) task = user_data;
	guint *pending = g_task_get_task_data (task);
	g_autoptr(GError) error = NULL;

	if (!esimd_euicc_close_finish (ESIMD_EUICC (source), res, &error))
		g_debug ("closing %s: %s", esimd_euicc_get_log_id (ESIMD_EUICC (source)),
		         error->message);
	if (--(*pending) == 0)
		g_task_return_boolean (task, TRUE);
}

void
esimd_manager_stop_async (EsimdManager *self, GAsyncReadyCallback callback, gpointer user_data)
{
	g_autoptr(GTask) task = NULL;
	guint *pending;

	g_return_if_fail (ESIMD_IS_MANAGER (self));

	task = g_task_new (self, NULL, callback, user_data);
	g_task_set_source_tag (task, esimd_manager_stop_async);
	/* no new modem eUICC while the others close */
	if (self->watcher != NULL)
		g_signal_handlers_disconnect_by_data (self->watcher, self);
#ifdef WITH_PCSC
	manager_pcsc_stop (self);
#endif
	if (self->euiccs->len == 0) {
		g_task_return_boolean (task, TRUE);
		return;
	}
	pending = g_new0 (guint, 1);
	*pending = self->euiccs->len;
	g_task_set_task_data (task, pending, g_free);
	for (guint i = 0; i < self->euiccs->len; i++)
		esimd_euicc_close_async (g_ptr_array_index (self->euiccs, i), stop_euicc_closed,
		                         g_object_ref (task));
}

gboolean
esimd_manager_stop_finish (EsimdManager *self, GAsyncResult *res, GError **error)
{
	g_return_val_if_fail (g_task_is_valid (res, self), FALSE);
	return g_task_propagate_boolean (G_TASK (res), error);
}

/* ---- object ---- */

EsimdManager *
esimd_manager_new (GDBusConnection *connection, const EsimdConfig *config, gboolean use_polkit)
{
	EsimdManager *self;

	g_return_val_if_fail (G_IS_DBUS_CONNECTION (connection), NULL);
	g_return_val_if_fail (config != NULL, NULL);

	self = g_object_new (ESIMD_TYPE_MANAGER, NULL);
	self->connection = g_object_ref (connection);
	self->config = config;
	self->auth = esimd_auth_new (use_polkit);
	self->object_manager = g_dbus_object_manager_server_new (ESIMD_ROOT_PATH);
	self->skeleton = esimd_gdbus_manager_skeleton_new ();
	esimd_gdbus_manager_set_version (self->skeleton, PACKAGE_VERSION);
	esimd_gdbus_manager_set_euiccs (self->skeleton, NULL);
	esimd_gdbus_manager_set_modem_manager_running (self->skeleton, FALSE);
	g_signal_connect_object (self->skeleton, "handle-poll", G_CALLBACK (handle_poll), self, 0);
	g_signal_connect_object (self->skeleton, "handle-set-logging",
	                         G_CALLBACK (handle_set_logging), self, 0);
	/* shown whether or not esimd uses modems */
	self->mm_watch_id = g_bus_watch_name_on_connection (connection, ESIMD_MM_BUS_NAME,
	                                                    G_BUS_NAME_WATCHER_FLAGS_NONE,
	                                                    manager_mm_appeared_cb,
	                                                    manager_mm_vanished_cb, self, NULL);
	return self;
}

static void
esimd_manager_dispose (GObject *object)
{
	EsimdManager *self = ESIMD_MANAGER (object);

	if (self->mm_watch_id != 0)
		g_bus_unwatch_name (self->mm_watch_id);
	self->mm_watch_id = 0;
	if (self->watcher != NULL)
		g_signal_handlers_disconnect_by_data (self->watcher, self);
#ifdef WITH_PCSC
	manager_pcsc_stop (self);
	g_clear_pointer (&self->pcsc_euiccs, g_hash_table_unref);
	g_clear_pointer (&self->pcsc_pending, g_hash_table_unref);
#endif
	g_clear_pointer (&self->modem_euiccs, g_hash_table_unref);
	for (guint i = 0; self->euiccs != NULL && i < self->euiccs->len; i++)
		g_signal_handlers_disconnect_by_data (g_ptr_array_index (self->euiccs, i), self);
	g_clear_pointer (&self->euiccs, g_ptr_array_unref);
	g_clear_object (&self->watcher);
	if (self->skeleton != NULL &&
	    g_dbus_interface_skeleton_get_connection (G_DBUS_INTERFACE_SKELETON (self->skeleton)))
		g_dbus_interface_skeleton_unexport (G_DBUS_INTERFACE_SKELETON (self->skeleton));
	g_clear_object (&self->skeleton);
	g_clear_object (&self->object_manager);
	g_clear_object (&self->auth);
	g_clear_object (&self->connection);
	G_OBJECT_CLASS (esimd_manager_parent_class)->dispose (object);
}

static void
esimd_manager_finalize (GObject *object)
{
	EsimdManager *self = ESIMD_MANAGER (object);

	g_hash_table_unref (self->virtual_files);
	g_hash_table_unref (self->virtual_given);
	g_strfreev (self->pcsc_readers);
	G_OBJECT_CLASS (esimd_manager_parent_class)->finalize (object);
}

static void
esimd_manager_class_init (EsimdManagerClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS (klass);

	object_class->dispose = esimd_manager_dispose;
	object_class->finalize = esimd_manager_finalize;
}

static void
esimd_manager_init (EsimdManager *self)
{
	self->euiccs = g_ptr_array_new_with_free_func (g_object_unref);
	self->virtual_files = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
	                                             g_object_unref);
	self->virtual_given = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
	self->modem_euiccs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
#ifdef WITH_PCSC
	self->pcsc_euiccs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
	self->pcsc_pending = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
#endif
}
