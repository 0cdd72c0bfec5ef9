/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Connection to esimd, object lookup and error → exit code mapping. */

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>

#include "esimcli-common.h"

G_DEFINE_QUARK (esimcli-error-quark, esimcli_error)

void
esimcli_cli_clear (EsimcliCli *cli)
{
	g_clear_pointer (&cli->fields, g_free);
	g_clear_object (&cli->manager);
	g_clear_object (&cli->connection);
}

gint
esimcli_timeout_msec (EsimcliCli *cli)
{
	/* -w 0 means "wait as long as it takes" */
	if (cli->wait_seconds == 0)
		return G_MAXINT;
	if (cli->wait_seconds < 0)
		return ESIMCLI_DEFAULT_TIMEOUT_SECONDS * 1000;
	return MIN (cli->wait_seconds, G_MAXINT / 1000) * 1000;
}

void
esimcli_prepare_proxy (EsimcliCli *cli, gpointer proxy)
{
	g_return_if_fail (G_IS_DBUS_PROXY (proxy));
	g_dbus_proxy_set_default_timeout (G_DBUS_PROXY (proxy), esimcli_timeout_msec (cli));
}

typedef struct {
	GCancellable *cancellable;
	GAsyncResult *result;
	guint timeout_id;
} ManagerWait;

static void
on_manager_ready (GObject *source, GAsyncResult *result, gpointer user_data)
{
	ManagerWait *wait = user_data;
	wait->result = g_object_ref (result);
}

static gboolean
on_manager_timeout (gpointer user_data)
{
	ManagerWait *wait = user_data;
	wait->timeout_id = 0;
	g_cancellable_cancel (wait->cancellable);
	return G_SOURCE_REMOVE;
}

/* GetManagedObjects has no timeout of its own: -w applies to it too (cancelled → timeout) */
static GDBusObjectManager *
new_object_manager (EsimcliCli *cli, GDBusObjectManagerClientFlags flags, GError **error)
{
	ManagerWait wait = { g_cancellable_new (), NULL, 0 };
	GDBusObjectManager *manager;

	if (cli->wait_seconds != 0)
		wait.timeout_id = g_timeout_add (esimcli_timeout_msec (cli), on_manager_timeout,
						 &wait);
	esimd_gdbus_object_manager_client_new (cli->connection, flags, ESIMCLI_BUS_NAME,
					       ESIMCLI_ROOT_PATH, wait.cancellable,
					       on_manager_ready, &wait);
	while (wait.result == NULL)
		g_main_context_iteration (NULL, TRUE);
	if (wait.timeout_id != 0)
		g_source_remove (wait.timeout_id);
	manager = esimd_gdbus_object_manager_client_new_finish (wait.result, error);
	g_object_unref (wait.result);
	g_object_unref (wait.cancellable);
	return manager;
}

gboolean
esimcli_connect (EsimcliCli *cli, gboolean require_daemon, GError **error)
{
	GBusType bus_type = cli->session ? G_BUS_TYPE_SESSION : G_BUS_TYPE_SYSTEM;
	GDBusObjectManagerClientFlags flags = G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_NONE;
	g_autoptr(GError) error_local = NULL;
	g_autofree gchar *owner = NULL;

	if (cli->manager != NULL)
		return TRUE;

	cli->connection = g_bus_get_sync (bus_type, NULL, &error_local);
	if (cli->connection == NULL) {
		g_set_error (error, ESIMCLI_ERROR, ESIMCLI_EXIT_NOT_RUNNING,
			     _("cannot connect to the %s bus: %s"),
			     cli->session ? _("session") : _("system"),
			     error_local->message);
		return FALSE;
	}

	/* a client that only watches must not start the daemon through D-Bus activation */
	if (!require_daemon)
		flags |= G_DBUS_OBJECT_MANAGER_CLIENT_FLAGS_DO_NOT_AUTO_START;
	cli->manager = new_object_manager (cli, flags, &error_local);
	if (cli->manager == NULL) {
		if (g_error_matches (error_local, G_IO_ERROR, G_IO_ERROR_CANCELLED)) {
			g_set_error_literal (error, ESIMCLI_ERROR, ESIMCLI_EXIT_TIMEOUT,
					     _("esimd did not answer in time"));
			return FALSE;
		}
		g_propagate_error (error, g_steal_pointer (&error_local));
		return esimcli_convert_error (error, _("cannot read the objects of esimd"));
	}

	owner = g_dbus_object_manager_client_get_name_owner (
		G_DBUS_OBJECT_MANAGER_CLIENT (cli->manager));
	if (require_daemon && owner == NULL) {
		g_set_error (error, ESIMCLI_ERROR, ESIMCLI_EXIT_NOT_RUNNING,
			     _("esimd is not running (nobody owns %s on the %s bus)"),
			     ESIMCLI_BUS_NAME,
			     cli->session ? _("session") : _("system"));
		return FALSE;
	}
	return TRUE;
}

gboolean
esimcli_daemon_running (EsimcliCli *cli)
{
	g_autofree gchar *owner = NULL;

	if (cli->manager == NULL)
		return FALSE;
	owner = g_dbus_object_manager_client_get_name_owner (
		G_DBUS_OBJECT_MANAGER_CLIENT (cli->manager));
	return owner != NULL;
}

GVariant *
esimcli_string_value (const gchar *value)
{
	return value != NULL ? g_variant_new_string (value) : NULL;
}

GVariant *
esimcli_field_index (EsimcliCli *cli, gpointer proxy)
{
	guint index = esimcli_path_index (g_dbus_proxy_get_object_path (G_DBUS_PROXY (proxy)));

	return index != G_MAXUINT ? g_variant_new_uint32 (index) : NULL;
}

GVariant *
esimcli_field_path (EsimcliCli *cli, gpointer proxy)
{
	return g_variant_new_object_path (g_dbus_proxy_get_object_path (G_DBUS_PROXY (proxy)));
}

GVariant *
esimcli_unix_time_value (gint64 seconds)
{
	g_autoptr(GDateTime) time = NULL;

	if (seconds <= 0)
		return NULL;
	time = g_date_time_new_from_unix_utc (seconds);
	if (time == NULL)
		return NULL;
	return g_variant_new_take_string (g_date_time_format_iso8601 (time));
}

guint
esimcli_path_index (const gchar *object_path)
{
	const gchar *slash;
	guint64 value = 0;

	if (object_path == NULL)
		return G_MAXUINT;
	slash = strrchr (object_path, '/');
	if (slash == NULL ||
	    !g_ascii_string_to_unsigned (slash + 1, 10, 0, G_MAXUINT - 1, &value, NULL))
		return G_MAXUINT;
	return (guint) value;
}

static gint
compare_by_path_index (gconstpointer a, gconstpointer b)
{
	const gchar *path_a = g_dbus_proxy_get_object_path (G_DBUS_PROXY (a));
	const gchar *path_b = g_dbus_proxy_get_object_path (G_DBUS_PROXY (b));
	guint index_a = esimcli_path_index (path_a);
	guint index_b = esimcli_path_index (path_b);

	if (index_a != index_b)
		return index_a < index_b ? -1 : 1;
	return g_strcmp0 (path_a, path_b);
}

GList *
esimcli_list_euiccs (EsimcliCli *cli)
{
	GList *objects;
	GList *euiccs = NULL;

	g_return_val_if_fail (cli->manager != NULL, NULL);

	objects = g_dbus_object_manager_get_objects (cli->manager);
	for (GList *l = objects; l != NULL; l = l->next) {
		EsimdGdbusEuicc *euicc = esimd_gdbus_object_get_euicc (ESIMD_GDBUS_OBJECT (l->data));
		if (euicc == NULL)
			continue;
		esimcli_prepare_proxy (cli, euicc);
		euiccs = g_list_prepend (euiccs, euicc);
	}
	g_list_free_full (objects, g_object_unref);
	return g_list_sort (euiccs, compare_by_path_index);
}

static gint
compare_profiles (gconstpointer a, gconstpointer b)
{
	const gchar *euicc_a = esimd_gdbus_profile_get_euicc (ESIMD_GDBUS_PROFILE ((gpointer) a));
	const gchar *euicc_b = esimd_gdbus_profile_get_euicc (ESIMD_GDBUS_PROFILE ((gpointer) b));
	guint index_a = esimcli_path_index (euicc_a);
	guint index_b = esimcli_path_index (euicc_b);

	if (index_a != index_b)
		return index_a < index_b ? -1 : 1;
	return compare_by_path_index (a, b);
}

GList *
esimcli_list_profiles (EsimcliCli *cli, const gchar *euicc_path)
{
	GList *objects;
	GList *profiles = NULL;

	g_return_val_if_fail (cli->manager != NULL, NULL);

	objects = g_dbus_object_manager_get_objects (cli->manager);
	for (GList *l = objects; l != NULL; l = l->next) {
		EsimdGdbusProfile *profile =
			esimd_gdbus_object_get_profile (ESIMD_GDBUS_OBJECT (l->data));
		if (profile == NULL)
			continue;
		if (euicc_path != NULL &&
		    g_strcmp0 (esimd_gdbus_profile_get_euicc (profile), euicc_path) != 0) {
			g_object_unref (profile);
			continue;
		}
		esimcli_prepare_proxy (cli, profile);
		profiles = g_list_prepend (profiles, profile);
	}
	g_list_free_full (objects, g_object_unref);
	return g_list_sort (profiles, compare_profiles);
}

EsimdGdbusManager *
esimcli_get_manager (EsimcliCli *cli)
{
	g_autoptr(GError) error = NULL;
	EsimdGdbusManager *manager;

	if (cli->connection == NULL)
		return NULL;
	manager = esimd_gdbus_manager_proxy_new_sync (cli->connection,
						      G_DBUS_PROXY_FLAGS_DO_NOT_AUTO_START |
						      G_DBUS_PROXY_FLAGS_DO_NOT_CONNECT_SIGNALS,
						      ESIMCLI_BUS_NAME, ESIMCLI_ROOT_PATH,
						      NULL, &error);
	if (manager == NULL) {
		g_debug ("cannot read the manager object: %s", error->message);
		return NULL;
	}
	esimcli_prepare_proxy (cli, manager);
	return manager;
}

EsimdGdbusEuicc *
esimcli_euicc_by_path (EsimcliCli *cli, const gchar *path)
{
	g_autoptr(GDBusInterface) iface = NULL;

	if (cli->manager == NULL || path == NULL || !g_variant_is_object_path (path))
		return NULL;
	iface = g_dbus_object_manager_get_interface (cli->manager, path,
						     "org.freedesktop.Esimd1.Euicc");
	if (iface == NULL || !ESIMD_GDBUS_IS_EUICC (iface))
		return NULL;
	esimcli_prepare_proxy (cli, iface);
	return ESIMD_GDBUS_EUICC (g_steal_pointer (&iface));
}

static gboolean
is_all_digits (const gchar *value)
{
	if (value == NULL || *value == '\0')
		return FALSE;
	for (const gchar *p = value; *p != '\0'; p++) {
		if (!g_ascii_isdigit (*p))
			return FALSE;
	}
	return TRUE;
}

/* An --euicc value: an EID (32 digits), an index N (as in …/Euicc/N) or an object path. */
EsimdGdbusEuicc *
esimcli_find_euicc (EsimcliCli *cli, const gchar *spec, GError **error)
{
	g_autolist(EsimdGdbusEuicc) euiccs = NULL;
	gboolean is_path = spec[0] == '/';
	gboolean is_eid = is_all_digits (spec) && strlen (spec) == 32;
	gboolean is_index = is_all_digits (spec) && strlen (spec) <= 9;

	if (!is_path && !is_eid && !is_index) {
		esimcli_usage_error (error,
				     _("invalid eUICC '%s': expected an EID (32 digits), an index or "
				       "an object path"),
				     spec);
		return NULL;
	}
	euiccs = esimcli_list_euiccs (cli);
	for (GList *l = euiccs; l != NULL; l = l->next) {
		EsimdGdbusEuicc *euicc = l->data;
		const gchar *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc));
		gboolean match;

		if (is_path)
			match = g_strcmp0 (path, spec) == 0;
		else if (is_eid)
			match = g_strcmp0 (esimd_gdbus_euicc_get_eid (euicc), spec) == 0;
		else
			match = g_str_has_prefix (path, ESIMCLI_EUICC_PATH) &&
				esimcli_path_index (path) == (guint) g_ascii_strtoull (spec, NULL, 10);
		if (match)
			return g_object_ref (euicc);
	}
	g_set_error (error, ESIMCLI_ERROR, ESIMCLI_EXIT_NOT_FOUND, _("no eUICC '%s'"), spec);
	return NULL;
}

/* The eUICC a command acts on: the one named, else the only one there is. */
EsimdGdbusEuicc *
esimcli_pick_euicc (EsimcliCli *cli, const gchar *spec, GError **error)
{
	g_autolist(EsimdGdbusEuicc) euiccs = NULL;
	guint n_euiccs;

	if (spec != NULL)
		return esimcli_find_euicc (cli, spec, error);

	euiccs = esimcli_list_euiccs (cli);
	n_euiccs = g_list_length (euiccs);
	if (n_euiccs == 0) {
		g_set_error_literal (error, ESIMCLI_ERROR, ESIMCLI_EXIT_NOT_FOUND,
				     _("esimd manages no eUICC"));
		return NULL;
	}
	if (n_euiccs > 1) {
		esimcli_usage_error (error,
				     _("%u eUICCs are present: choose one with --euicc "
				       "(EID, index or object path)"),
				     n_euiccs);
		return NULL;
	}
	return g_object_ref (euiccs->data);
}

/* Digits, then an optional F pad: how ICCIDs are written (and indexes, without the pad). */
static gboolean
is_numeric (const gchar *value, gsize *n_digits, gsize *n_pad)
{
	const gchar *p = value;

	*n_digits = 0;
	*n_pad = 0;
	for (; g_ascii_isdigit (*p); p++)
		(*n_digits)++;
	for (; *p == 'F' || *p == 'f'; p++)
		(*n_pad)++;
	return *p == '\0' && *n_digits > 0;
}

/* An ICCID has 18 to 20 digits, and at most 20 characters with its F pad. */
EsimcliProfileSpec
esimcli_profile_spec_kind (const gchar *spec, GError **error)
{
	gsize n_digits, n_pad;

	if (spec == NULL || *spec == '\0') {
		esimcli_usage_error (error, _("empty profile: expected an ICCID, an index or a "
					      "nickname"));
		return ESIMCLI_PROFILE_SPEC_INVALID;
	}
	if (!is_numeric (spec, &n_digits, &n_pad))
		return ESIMCLI_PROFILE_SPEC_NICKNAME;
	if (n_digits >= 18 && n_digits <= 20 && n_digits + n_pad <= 20)
		return ESIMCLI_PROFILE_SPEC_ICCID;
	if (n_pad == 0 && n_digits <= 9)
		return ESIMCLI_PROFILE_SPEC_INDEX;
	esimcli_usage_error (error, _("malformed ICCID '%s': expected 18 to 20 digits (or an index "
				      "of up to 9 digits)"), spec);
	return ESIMCLI_PROFILE_SPEC_INVALID;
}

/* ICCIDs compare without their optional F padding. */
static gboolean
iccid_equal (const gchar *a, const gchar *b)
{
	gsize len_a, len_b;

	if (a == NULL || b == NULL)
		return FALSE;
	len_a = strlen (a);
	len_b = strlen (b);
	while (len_a > 0 && g_ascii_toupper (a[len_a - 1]) == 'F')
		len_a--;
	while (len_b > 0 && g_ascii_toupper (b[len_b - 1]) == 'F')
		len_b--;
	return len_a == len_b && strncmp (a, b, len_a) == 0;
}

static gboolean
profile_matches (EsimdGdbusProfile *profile, EsimcliProfileSpec kind, const gchar *spec)
{
	const gchar *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (profile));

	switch (kind) {
	case ESIMCLI_PROFILE_SPEC_ICCID:
		return iccid_equal (esimd_gdbus_profile_get_iccid (profile), spec);
	case ESIMCLI_PROFILE_SPEC_INDEX:
		return g_str_has_prefix (path, ESIMCLI_PROFILE_PATH) &&
		       esimcli_path_index (path) == (guint) g_ascii_strtoull (spec, NULL, 10);
	case ESIMCLI_PROFILE_SPEC_NICKNAME:
		return g_strcmp0 (esimd_gdbus_profile_get_nickname (profile), spec) == 0;
	case ESIMCLI_PROFILE_SPEC_INVALID:
	default:
		return FALSE;
	}
}

/* A nickname two profiles share, or an ICCID on two eUICCs, names neither: list the
 * candidates by index, which is unique. */
static void
set_ambiguous_error (EsimcliCli *cli, GError **error, const gchar *spec, GPtrArray *matches)
{
	g_autoptr(GString) list = g_string_new (NULL);

	for (guint i = 0; i < matches->len; i++) {
		EsimdGdbusProfile *profile = g_ptr_array_index (matches, i);
		const gchar *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (profile));
		g_autoptr(EsimdGdbusEuicc) euicc =
			esimcli_euicc_by_path (cli, esimd_gdbus_profile_get_euicc (profile));
		const gchar *eid = euicc != NULL ? esimd_gdbus_euicc_get_eid (euicc) : NULL;

		if (i > 0)
			g_string_append (list, ", ");
		/* TRANSLATORS: one candidate of an ambiguous profile name: its index, ICCID and the
		 * EID of its eUICC */
		g_string_append_printf (list, _("%u (ICCID %s, eUICC %s)"), esimcli_path_index (path),
					esimd_gdbus_profile_get_iccid (profile),
					eid != NULL && *eid != '\0' ? eid : "--");
	}
	esimcli_usage_error (error, _("'%s' names %u profiles, use the index of one: %s"), spec,
			     matches->len, list->str);
}

/* A PROFILE argument: an ICCID, an index N (as in /org/freedesktop/Esimd1/Profile/N, the
 * INDEX field) or the nickname of exactly one profile. */
EsimdGdbusProfile *
esimcli_find_profile (EsimcliCli *cli, const gchar *spec, GError **error)
{
	EsimcliProfileSpec kind = esimcli_profile_spec_kind (spec, error);
	g_autolist(EsimdGdbusProfile) profiles = NULL;
	g_autoptr(GPtrArray) matches = g_ptr_array_new ();

	if (kind == ESIMCLI_PROFILE_SPEC_INVALID)
		return NULL;
	profiles = esimcli_list_profiles (cli, NULL);
	for (GList *l = profiles; l != NULL; l = l->next) {
		if (profile_matches (l->data, kind, spec))
			g_ptr_array_add (matches, l->data);
	}
	if (matches->len == 1)
		return g_object_ref (g_ptr_array_index (matches, 0));
	/* an ICCID is unique on one card only: two cards may hold the same */
	if (matches->len > 1) {
		set_ambiguous_error (cli, error, spec, matches);
		return NULL;
	}

	switch (kind) {
	case ESIMCLI_PROFILE_SPEC_ICCID:
		g_set_error (error, ESIMCLI_ERROR, ESIMCLI_EXIT_NOT_FOUND,
			     _("no profile with ICCID %s"), spec);
		break;
	case ESIMCLI_PROFILE_SPEC_INDEX:
		/* digits are never a nickname, but say so when one was meant */
		for (GList *l = profiles; l != NULL; l = l->next) {
			if (!profile_matches (l->data, ESIMCLI_PROFILE_SPEC_NICKNAME, spec))
				continue;
			g_set_error (error, ESIMCLI_ERROR, ESIMCLI_EXIT_NOT_FOUND,
				     _("no profile with index %s (digits are read as an index: name "
				       "the profile nicknamed '%s' by its ICCID)"), spec, spec);
			return NULL;
		}
		g_set_error (error, ESIMCLI_ERROR, ESIMCLI_EXIT_NOT_FOUND,
			     _("no profile with index %s"), spec);
		break;
	case ESIMCLI_PROFILE_SPEC_NICKNAME:
	case ESIMCLI_PROFILE_SPEC_INVALID:
	default:
		g_set_error (error, ESIMCLI_ERROR, ESIMCLI_EXIT_NOT_FOUND,
			     _("no profile with nickname '%s'"), spec);
		break;
	}
	return NULL;
}

static gboolean
remote_error_is (const gchar *remote, const gchar *name)
{
	return remote != NULL && g_str_has_prefix (remote, ESIMCLI_ERROR_NAME_PREFIX) &&
	       g_strcmp0 (remote + strlen (ESIMCLI_ERROR_NAME_PREFIX), name) == 0;
}

gint
esimcli_error_to_exit (const GError *error)
{
	g_autofree gchar *remote = NULL;

	if (error == NULL)
		return ESIMCLI_EXIT_OK;
	if (error->domain == ESIMCLI_ERROR)
		return error->code;
	if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_TIMED_OUT) ||
	    g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMEOUT) ||
	    g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_TIMED_OUT))
		return ESIMCLI_EXIT_TIMEOUT;
	if (g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_SERVICE_UNKNOWN) ||
	    g_error_matches (error, G_DBUS_ERROR, G_DBUS_ERROR_NAME_HAS_NO_OWNER))
		return ESIMCLI_EXIT_NOT_RUNNING;

	remote = g_dbus_error_get_remote_error (error);
	if (remote_error_is (remote, "NotFound"))
		return ESIMCLI_EXIT_NOT_FOUND;
	if (remote_error_is (remote, "InvalidArgs"))
		return ESIMCLI_EXIT_USAGE;
	if (remote_error_is (remote, "Timeout"))
		return ESIMCLI_EXIT_TIMEOUT;
	return ESIMCLI_EXIT_ERROR;
}

/* Replaces a GIO/D-Bus error by an ESIMCLI_ERROR carrying its exit code and a message
 * without the remote error name; returns FALSE so callers can `return esimcli_convert_error`. */
gboolean
esimcli_convert_error (GError **error, const gchar *format, ...)
{
	g_autoptr(GError) original = NULL;
	g_autofree gchar *what = NULL;
	va_list args;
	gint code;

	if (error == NULL || *error == NULL)
		return FALSE;
	if ((*error)->domain == ESIMCLI_ERROR)
		return FALSE;

	original = g_steal_pointer (error);
	code = esimcli_error_to_exit (original);
	if (g_dbus_error_is_remote_error (original))
		g_dbus_error_strip_remote_error (original);

	va_start (args, format);
	what = g_strdup_vprintf (format, args);
	va_end (args);
	if (g_error_matches (original, G_IO_ERROR, G_IO_ERROR_TIMED_OUT))
		g_set_error (error, ESIMCLI_ERROR, code, _("%s: esimd did not answer in time"),
			     what);
	else
		g_set_error (error, ESIMCLI_ERROR, code, "%s: %s", what, original->message);
	return FALSE;
}

gboolean
esimcli_usage_error (GError **error, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *message = NULL;

	va_start (args, format);
	message = g_strdup_vprintf (format, args);
	va_end (args);
	g_set_error_literal (error, ESIMCLI_ERROR, ESIMCLI_EXIT_USAGE, message);
	return FALSE;
}

/* One line, no trailing full stop of its own (we add one). */
static gchar *
error_one_line (const GError *error)
{
	g_autoptr(GError) copy = g_error_copy (error);
	gchar *line;
	gsize len;

	if (g_dbus_error_is_remote_error (copy))
		g_dbus_error_strip_remote_error (copy);
	line = g_strdup (copy->message);
	for (gchar *p = line; *p != '\0'; p++) {
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	}
	g_strstrip (line);
	len = strlen (line);
	while (len > 0 && line[len - 1] == '.')
		line[--len] = '\0';
	return line;
}

/* auto: no NO_COLOR (set and non-empty), no TERM=dumb, and @fd is a terminal */
gboolean
esimcli_color_wanted (EsimcliColorMode mode, gint fd)
{
	const gchar *no_color = g_getenv ("NO_COLOR");

	if (mode == ESIMCLI_COLOR_YES)
		return TRUE;
	if (mode == ESIMCLI_COLOR_NO)
		return FALSE;
	if (no_color != NULL && *no_color != '\0')
		return FALSE;
	if (g_strcmp0 (g_getenv ("TERM"), "dumb") == 0)
		return FALSE;
	return isatty (fd);
}

void
esimcli_print_error (EsimcliCli *cli, const GError *error)
{
	g_autofree gchar *line = error_one_line (error);
	gboolean color = esimcli_color_wanted (cli->color_mode, STDERR_FILENO);

	/* TRANSLATORS: the prefix of every error line */
	g_printerr ("%s%s%s %s.\n",
		    color ? "\033[1;31m" : "", _("Error:"), color ? "\033[0m" : "",
		    line);
	if (g_error_matches (error, ESIMCLI_ERROR, ESIMCLI_EXIT_USAGE)) {
		g_autofree gchar *command = cli->object_name != NULL
			? g_strdup_printf ("esimcli %s help", cli->object_name)
			: g_strdup ("esimcli help");
		/* TRANSLATORS: %s is a command such as "esimcli profile help" */
		g_printerr (_("Try '%s'.\n"), command);
	}
}

/* Checks the number of positional arguments, naming the first missing one. */
gboolean
esimcli_expect_args (EsimcliArgs *args, guint min, guint max, const gchar *const *names,
		     GError **error)
{
	guint n_args = args->positional->len;

	if (n_args < min) {
		const gchar *name = names != NULL ? names[n_args] : NULL;
		if (name != NULL)
			return esimcli_usage_error (error, _("missing argument %s"), name);
		return esimcli_usage_error (error, _("missing argument"));
	}
	if (n_args > max) {
		return esimcli_usage_error (error, _("unexpected argument '%s'"),
					    (const gchar *) g_ptr_array_index (args->positional, max));
	}
	return TRUE;
}

void
esimcli_print_done (EsimcliCli *cli, const gchar *format, ...)
{
	va_list args;
	g_autofree gchar *message = NULL;

	if (cli->output != ESIMCLI_OUTPUT_HUMAN || cli->terse || cli->get_values)
		return;
	va_start (args, format);
	message = g_strdup_vprintf (format, args);
	va_end (args);
	g_print ("%s\n", message);
}

gboolean
esimcli_stdin_is_tty (void)
{
	return isatty (STDIN_FILENO) && isatty (STDOUT_FILENO);
}
