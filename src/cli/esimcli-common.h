/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Shared state of one esimcli run: global options, the D-Bus connection, object lookup,
 * error → exit code mapping and the per-object command handlers. */
#pragma once

#include <gio/gio.h>

#include "esimd-gdbus.h"

G_BEGIN_DECLS

/* gdbus-codegen only declares cleanup functions for the proxy and skeleton classes */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimdGdbusEuicc, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimdGdbusProfile, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimdGdbusEim, g_object_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EsimdGdbusManager, g_object_unref)

#define ESIMCLI_BUS_NAME    "org.freedesktop.Esimd1"
#define ESIMCLI_ROOT_PATH   "/org/freedesktop/Esimd1"
#define ESIMCLI_EUICC_PATH  ESIMCLI_ROOT_PATH "/Euicc/"
#define ESIMCLI_PROFILE_PATH ESIMCLI_ROOT_PATH "/Profile/"
#define ESIMCLI_ERROR_NAME_PREFIX "org.freedesktop.Esimd1.Error."

#define ESIMCLI_DEFAULT_TIMEOUT_SECONDS 60

/* Exit codes (documented in esimcli(1) and `esimcli help`); nmcli's numbering. */
typedef enum {
	ESIMCLI_EXIT_OK = 0,
	ESIMCLI_EXIT_ERROR = 1,
	ESIMCLI_EXIT_USAGE = 2,
	ESIMCLI_EXIT_TIMEOUT = 3,
	ESIMCLI_EXIT_NOT_RUNNING = 8,
	ESIMCLI_EXIT_NOT_FOUND = 10,
} EsimcliExit;

/* Error codes of ESIMCLI_ERROR are the exit codes they lead to. */
#define ESIMCLI_ERROR (esimcli_error_quark ())
GQuark esimcli_error_quark (void);

typedef enum {
	ESIMCLI_OUTPUT_HUMAN,
	ESIMCLI_OUTPUT_JSON,
	ESIMCLI_OUTPUT_KEYVALUE,
} EsimcliOutputMode;

typedef enum {
	ESIMCLI_COLOR_AUTO,
	ESIMCLI_COLOR_YES,
	ESIMCLI_COLOR_NO,
} EsimcliColorMode;

typedef struct {
	/* global options */
	gboolean terse;
	gboolean get_values;
	gchar *fields;			/* -f / -g value, NULL if not given */
	EsimcliOutputMode output;
	gint wait_seconds;		/* -1 if -w was not given */
	EsimcliColorMode color_mode;
	gboolean session;

	/* resolved after option parsing */
	gboolean color;			/* colour on stdout */
	const gchar *object_name;	/* full name of the object being run, for hints */
	gint exit_code;			/* set by commands that succeed with a non-zero code */

	/* set by esimcli_connect() */
	GDBusConnection *connection;
	GDBusObjectManager *manager;
} EsimcliCli;

/* Arguments of one command after global and command options were taken out. */
typedef struct {
	GPtrArray *positional;		/* gchar*, owned */
	gchar *euicc;			/* --euicc */
	gboolean yes;			/* --yes */
	gboolean keep_test_profiles;	/* --keep-test-profiles */
	gchar *confirmation_code;	/* --confirmation-code, "-": read it */
	gboolean enable;		/* --enable */
	/* eim add / remove */
	gchar *eim_file;		/* --file */
	gchar *eim_id;			/* --id */
	gchar *eim_fqdn;		/* --fqdn */
	gchar *eim_key;			/* --key */
	gchar *eim_tls_ca;		/* --tls-ca */
	gchar *eim_tls_key;		/* --tls-key */
	gchar *eim_counter;		/* --counter */
	gchar *eim_protocols;		/* --protocol */
	gboolean eim_indirect_download;	/* --indirect-download */
	gboolean eim_all;		/* --all */
} EsimcliArgs;

typedef gboolean (*EsimcliCommandFunc) (EsimcliCli *cli, EsimcliArgs *args, GError **error);

void     esimcli_cli_clear (EsimcliCli *cli);

/* connection and lookup */
gboolean esimcli_connect (EsimcliCli *cli, gboolean require_daemon, GError **error);
gboolean esimcli_daemon_running (EsimcliCli *cli);
gint     esimcli_timeout_msec (EsimcliCli *cli);
void     esimcli_prepare_proxy (EsimcliCli *cli, gpointer proxy);
/* sorted by index; free with g_list_free_full (list, g_object_unref) or use g_autolist */
GList   *esimcli_list_euiccs (EsimcliCli *cli);
GList   *esimcli_list_profiles (EsimcliCli *cli, const gchar *euicc_path);	/* NULL: all */
EsimdGdbusEuicc   *esimcli_find_euicc (EsimcliCli *cli, const gchar *spec, GError **error);
EsimdGdbusEuicc   *esimcli_pick_euicc (EsimcliCli *cli, const gchar *spec, GError **error);
EsimdGdbusManager *esimcli_get_manager (EsimcliCli *cli);	/* NULL if unreachable */
EsimdGdbusEuicc   *esimcli_euicc_by_path (EsimcliCli *cli, const gchar *path);
guint    esimcli_path_index (const gchar *object_path);
/* A field value for a unix time (ISO 8601, UTC); NULL for 0 ("never", "none"). */
GVariant *esimcli_unix_time_value (gint64 seconds);
/* A field value for a string property; NULL when there is none. */
GVariant *esimcli_string_value (const gchar *value);
/* The INDEX (N of .../N) and PATH fields of any object's proxy. */
GVariant *esimcli_field_index (EsimcliCli *cli, gpointer proxy);
GVariant *esimcli_field_path (EsimcliCli *cli, gpointer proxy);

/* A PROFILE argument (esimcli(1)): an ICCID of 18 to 20 digits (an F pad accepted), an
 * index N of up to 9 digits (as in /org/freedesktop/Esimd1/Profile/N, the INDEX field)
 * or, if it is not made of digits, the nickname of exactly one profile. */
typedef enum {
	ESIMCLI_PROFILE_SPEC_INVALID,
	ESIMCLI_PROFILE_SPEC_ICCID,
	ESIMCLI_PROFILE_SPEC_INDEX,
	ESIMCLI_PROFILE_SPEC_NICKNAME,
} EsimcliProfileSpec;

/* INVALID with a usage error for an empty or malformed argument, checked before connecting */
EsimcliProfileSpec esimcli_profile_spec_kind (const gchar *spec, GError **error);
/* not found: exit 10; a name that fits several profiles: usage error listing them */
EsimdGdbusProfile *esimcli_find_profile (EsimcliCli *cli, const gchar *spec, GError **error);

/* errors */
gint     esimcli_error_to_exit (const GError *error);
gboolean esimcli_convert_error (GError **error, const gchar *format, ...) G_GNUC_PRINTF (2, 3);
gboolean esimcli_color_wanted (EsimcliColorMode mode, gint fd);
void     esimcli_print_error (EsimcliCli *cli, const GError *error);
gboolean esimcli_usage_error (GError **error, const gchar *format, ...) G_GNUC_PRINTF (2, 3);
gboolean esimcli_expect_args (EsimcliArgs *args, guint min, guint max, const gchar *const *names,
			      GError **error);

/* human output for successful actions (silent with -t/-g and in json/keyvalue modes) */
void     esimcli_print_done (EsimcliCli *cli, const gchar *format, ...) G_GNUC_PRINTF (2, 3);
gboolean esimcli_stdin_is_tty (void);

/* command handlers */
gboolean esimcli_general_status (EsimcliCli *cli, EsimcliArgs *args, GError **error);
gboolean esimcli_euicc_list (EsimcliCli *cli, EsimcliArgs *args, GError **error);
gboolean esimcli_euicc_show (EsimcliCli *cli, EsimcliArgs *args, GError **error);
gboolean esimcli_euicc_reset (EsimcliCli *cli, EsimcliArgs *args, GError **error);
gboolean esimcli_profile_list (EsimcliCli *cli, EsimcliArgs *args, GError **error);
gboolean esimcli_profile_show (EsimcliCli *cli, EsimcliArgs *args, GError **error);
gboolean esimcli_profile_enable (EsimcliCli *cli, EsimcliArgs *args, GError **error);
gboolean esimcli_profile_disable (EsimcliCli *cli, EsimcliArgs *args, GError **error);
gboolean esimcli_profile_delete (EsimcliCli *cli, EsimcliArgs *args, GError **error);
gboolean esimcli_profile_nickname (EsimcliCli *cli, EsimcliArgs *args, GError **error);
gboolean esimcli_profile_download (EsimcliCli *cli, EsimcliArgs *args, GError **error);
gboolean esimcli_notification_list (EsimcliCli *cli, EsimcliArgs *args, GError **error);
gboolean esimcli_notification_remove (EsimcliCli *cli, EsimcliArgs *args, GError **error);
gboolean esimcli_notification_process (EsimcliCli *cli, EsimcliArgs *args, GError **error);
gboolean esimcli_monitor (EsimcliCli *cli, EsimcliArgs *args, GError **error);
gboolean esimcli_eim_list (EsimcliCli *cli, EsimcliArgs *args, GError **error);
gboolean esimcli_eim_show (EsimcliCli *cli, EsimcliArgs *args, GError **error);
gboolean esimcli_eim_add (EsimcliCli *cli, EsimcliArgs *args, GError **error);
gboolean esimcli_eim_remove (EsimcliCli *cli, EsimcliArgs *args, GError **error);
/* eIM objects of one eUICC (object path) or of all (NULL), sorted by index */
GList   *esimcli_list_eims (EsimcliCli *cli, const gchar *euicc_path);
void     esimcli_eim_args_clear (EsimcliArgs *args);
gboolean esimcli_eim_poll (EsimcliCli *cli, EsimcliArgs *args, GError **error);

G_END_DECLS
