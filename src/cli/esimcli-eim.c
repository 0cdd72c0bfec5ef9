/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * esimcli eim list [--euicc EID] | show EIM | add (--file CONFIG.der | --id ID --fqdn HOST[:PORT]
 *         --key FILE [--tls-ca FILE | --tls-key FILE] [--indirect-download] [--counter N]
 *         [--protocol LIST]) [--euicc EID] | remove (EIM | --all) [--euicc EID] [--yes]
 *
 * `eim add` builds the EimConfigurationData here, with src/lib's encoder, and
 * hands it to Euicc.AddInitialEim: the key files are read with the rights of
 * the user who names them (esimd, a system service, never opens a client's
 * paths), and a mistyped field is a usage error before anything reaches the card.
 *
 * `eim remove`: SGP.32 v1.2 gives the device no way to remove one eIM of
 * several.  deleteEim is an eCO, signed by an eIM (§5.9, digest §3.6); the
 * only local means is eUICCMemoryReset with resetEimConfigData (BF64 bit 5,
 * digest §2.2), which removes every eIM of the eUICC.  So `remove EIM` works
 * when that eIM is the eUICC's only one, and `remove --all` says what it does.
 */

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "esim-es10.h"
#include "esimcli-output.h"

/* a key or certificate file is a few hundred bytes, a configuration a few kilobytes */
#define EIM_FILE_MAX_SIZE (64 * 1024)

static const struct {
	guint        bit;
	const gchar *name;
} eim_protocols[] = {
	{ ESIM_EIM_PROTOCOL_RETRIEVE_HTTPS, "retrieve-https" },
	{ ESIM_EIM_PROTOCOL_RETRIEVE_COAPS, "retrieve-coaps" },
	{ ESIM_EIM_PROTOCOL_INJECT_HTTPS, "inject-https" },
	{ ESIM_EIM_PROTOCOL_INJECT_COAPS, "inject-coaps" },
	{ ESIM_EIM_PROTOCOL_PROPRIETARY, "proprietary" },
};

void
esimcli_eim_args_clear (EsimcliArgs *args)
{
	g_clear_pointer (&args->eim_file, g_free);
	g_clear_pointer (&args->eim_id, g_free);
	g_clear_pointer (&args->eim_fqdn, g_free);
	g_clear_pointer (&args->eim_key, g_free);
	g_clear_pointer (&args->eim_tls_ca, g_free);
	g_clear_pointer (&args->eim_tls_key, g_free);
	g_clear_pointer (&args->eim_counter, g_free);
	g_clear_pointer (&args->eim_protocols, g_free);
}

/* ---- fields ---- */

static GVariant *
string_or_null (const gchar *value)
{
	return value != NULL && value[0] != '\0' ? g_variant_new_string (value) : NULL;
}

static GVariant *
get_eim_id (EsimcliCli *cli, gpointer item)
{
	return string_or_null (esimd_gdbus_eim_get_eim_id (item));
}

static GVariant *
get_euicc (EsimcliCli *cli, gpointer item)
{
	g_autoptr(EsimdGdbusEuicc) euicc =
		esimcli_euicc_by_path (cli, esimd_gdbus_eim_get_euicc (item));
	return euicc != NULL ? string_or_null (esimd_gdbus_euicc_get_eid (euicc)) : NULL;
}

static GVariant *
get_fqdn (EsimcliCli *cli, gpointer item)
{
	return string_or_null (esimd_gdbus_eim_get_fqdn (item));
}

static GVariant *
get_address (EsimcliCli *cli, gpointer item)
{
	return string_or_null (esimd_gdbus_eim_get_address (item));
}

static GVariant *
get_binding (EsimcliCli *cli, gpointer item)
{
	return string_or_null (esimd_gdbus_eim_get_binding (item));
}

static GVariant *
get_trust (EsimcliCli *cli, gpointer item)
{
	return string_or_null (esimd_gdbus_eim_get_trust_source (item));
}

static GVariant *
get_id_type (EsimcliCli *cli, gpointer item)
{
	return string_or_null (esimd_gdbus_eim_get_id_type (item));
}

static GVariant *
get_counter (EsimcliCli *cli, gpointer item)
{
	gint64 counter = esimd_gdbus_eim_get_counter (item);
	return counter >= 0 ? g_variant_new_int64 (counter) : NULL;
}

static GVariant *
get_protocols (EsimcliCli *cli, gpointer item)
{
	const gchar *const *protocols = esimd_gdbus_eim_get_supported_protocols (item);
	return protocols != NULL ? g_variant_new_strv (protocols, -1) : NULL;
}

static GVariant *
get_indirect_download (EsimcliCli *cli, gpointer item)
{
	return g_variant_new_boolean (esimd_gdbus_eim_get_indirect_download (item));
}

static GVariant *
get_last_poll (EsimcliCli *cli, gpointer item)
{
	return esimcli_unix_time_value (esimd_gdbus_eim_get_last_poll (item));
}

static GVariant *
get_next_poll (EsimcliCli *cli, gpointer item)
{
	return esimcli_unix_time_value (esimd_gdbus_eim_get_next_poll (item));
}

static GVariant *
get_last_error (EsimcliCli *cli, gpointer item)
{
	const gchar *error = esimd_gdbus_eim_get_last_error (item);

	return error != NULL && error[0] != '\0' ? g_variant_new_string (error) : NULL;
}

static const EsimcliField eim_fields[] = {
	{ "INDEX", esimcli_field_index, FALSE },
	{ "EIM-ID", get_eim_id, FALSE },
	{ "EUICC", get_euicc, FALSE },
	{ "FQDN", get_fqdn, FALSE },
	{ "ADDRESS", get_address, FALSE },
	{ "BINDING", get_binding, FALSE },
	{ "TRUST", get_trust, FALSE },
	{ "ID-TYPE", get_id_type, FALSE },
	{ "COUNTER", get_counter, FALSE },
	{ "PROTOCOLS", get_protocols, FALSE },
	{ "INDIRECT-DOWNLOAD", get_indirect_download, FALSE },
	{ "LAST-POLL", get_last_poll, FALSE },
	{ "NEXT-POLL", get_next_poll, FALSE },
	{ "LAST-ERROR", get_last_error, FALSE },
	{ "PATH", esimcli_field_path, FALSE },
	{ NULL, NULL, FALSE },
};

const EsimcliFieldTable esimcli_eim_table = {
	"eim", eim_fields,
	"INDEX,EIM-ID,EUICC,FQDN,BINDING,TRUST",
};

/* ---- lookup ---- */

static gint
compare_eims (gconstpointer a, gconstpointer b)
{
	guint index_a = esimcli_path_index (g_dbus_proxy_get_object_path (G_DBUS_PROXY (a)));
	guint index_b = esimcli_path_index (g_dbus_proxy_get_object_path (G_DBUS_PROXY (b)));

	return index_a < index_b ? -1 : index_a > index_b;
}

/* The eIMs of one eUICC (@euicc_path), or of all (NULL), sorted by index. */
GList *
esimcli_list_eims (EsimcliCli *cli, const gchar *euicc_path)
{
	GList *objects;
	GList *eims = NULL;

	g_return_val_if_fail (cli->manager != NULL, NULL);

	objects = g_dbus_object_manager_get_objects (cli->manager);
	for (GList *l = objects; l != NULL; l = l->next) {
		EsimdGdbusEim *eim = esimd_gdbus_object_get_eim (ESIMD_GDBUS_OBJECT (l->data));

		if (eim == NULL)
			continue;
		if (euicc_path != NULL && g_strcmp0 (esimd_gdbus_eim_get_euicc (eim), euicc_path) != 0) {
			g_object_unref (eim);
			continue;
		}
		esimcli_prepare_proxy (cli, eim);
		eims = g_list_prepend (eims, eim);
	}
	g_list_free_full (objects, g_object_unref);
	return g_list_sort (eims, compare_eims);
}

static gboolean
is_index (const gchar *spec)
{
	gsize len = strlen (spec);

	if (len == 0 || len > 9)
		return FALSE;
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_isdigit (spec[i]))
			return FALSE;
	}
	return TRUE;
}

/* An EIM argument: an eimId (exact), else an index N as in …/Eim/N.  The same eimId on
 * several eUICCs needs --euicc. */
static EsimdGdbusEim *
find_eim (EsimcliCli *cli, const gchar *spec, const gchar *euicc_spec, GError **error)
{
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autolist(EsimdGdbusEim) eims = NULL;
	g_autoptr(GPtrArray) matches = g_ptr_array_new ();

	if (euicc_spec != NULL) {
		euicc = esimcli_find_euicc (cli, euicc_spec, error);
		if (euicc == NULL)
			return NULL;
	}
	eims = esimcli_list_eims (cli, euicc != NULL ? g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc))
						      : NULL);
	for (GList *l = eims; l != NULL; l = l->next) {
		if (g_strcmp0 (esimd_gdbus_eim_get_eim_id (l->data), spec) == 0)
			g_ptr_array_add (matches, l->data);
	}
	if (matches->len == 0 && is_index (spec)) {
		for (GList *l = eims; l != NULL; l = l->next) {
			const gchar *path = g_dbus_proxy_get_object_path (G_DBUS_PROXY (l->data));

			if (esimcli_path_index (path) == (guint) g_ascii_strtoull (spec, NULL, 10))
				g_ptr_array_add (matches, l->data);
		}
	}
	if (matches->len == 0) {
		g_set_error (error, ESIMCLI_ERROR, ESIMCLI_EXIT_NOT_FOUND, _("no eIM '%s'"), spec);
		return NULL;
	}
	if (matches->len > 1) {
		esimcli_usage_error (error, _("eIM '%s' is configured on %u eUICCs: choose one with "
					      "--euicc"), spec, matches->len);
		return NULL;
	}
	return g_object_ref (g_ptr_array_index (matches, 0));
}

/* ---- list, show ---- */

gboolean
esimcli_eim_list (EsimcliCli *cli, EsimcliArgs *args, GError **error)
{
	g_autoptr(EsimcliOutput) output = NULL;
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autolist(EsimdGdbusEim) eims = NULL;

	if (!esimcli_expect_args (args, 0, 0, NULL, error))
		return FALSE;
	output = esimcli_output_new (cli, &esimcli_eim_table, error);
	if (output == NULL)
		return FALSE;
	if (!esimcli_connect (cli, TRUE, error))
		return FALSE;
	if (args->euicc != NULL) {
		euicc = esimcli_find_euicc (cli, args->euicc, error);
		if (euicc == NULL)
			return FALSE;
	}
	eims = esimcli_list_eims (cli, euicc != NULL ? g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc))
						     : NULL);
	for (GList *l = eims; l != NULL; l = l->next)
		esimcli_output_add (output, l->data);
	esimcli_output_print_list (output);
	return TRUE;
}

gboolean
esimcli_eim_show (EsimcliCli *cli, EsimcliArgs *args, GError **error)
{
	static const gchar *const names[] = { "EIM", NULL };
	g_autoptr(EsimcliOutput) output = NULL;
	g_autoptr(EsimdGdbusEim) eim = NULL;

	if (!esimcli_expect_args (args, 1, 1, names, error))
		return FALSE;
	output = esimcli_output_new (cli, &esimcli_eim_table, error);
	if (output == NULL)
		return FALSE;
	if (!esimcli_connect (cli, TRUE, error))
		return FALSE;
	eim = find_eim (cli, g_ptr_array_index (args->positional, 0), args->euicc, error);
	if (eim == NULL)
		return FALSE;
	esimcli_output_add (output, eim);
	esimcli_output_print_show (output);
	return TRUE;
}

/* ---- add ---- */

/* A file named on the command line: a regular file of reasonable size (never a FIFO or
 * a device, read without end); errors are usage errors naming the option. */
static GBytes *
read_option_file (const gchar *option, const gchar *path, GError **error)
{
	g_autoptr(GError) local = NULL;
	g_autofree gchar *contents = NULL;
	gsize length = 0;
	GStatBuf st;

	if (g_stat (path, &st) != 0) {
		esimcli_usage_error (error, _("--%s %s: %s"), option, path, g_strerror (errno));
		return NULL;
	}
	if (!S_ISREG (st.st_mode) || st.st_size > EIM_FILE_MAX_SIZE) {
		esimcli_usage_error (error, _("--%s %s: not a regular file of at most %u bytes"),
				     option, path, (guint) EIM_FILE_MAX_SIZE);
		return NULL;
	}
	if (!g_file_get_contents (path, &contents, &length, &local)) {
		esimcli_usage_error (error, _("--%s: %s"), option, local->message);
		return NULL;
	}
	return g_bytes_new_take (g_steal_pointer (&contents), length);
}

/* --tls-ca wants a certificate, --tls-key a public key: both end up in
 * trustedPublicKeyDataTls, in the alternative their contents call for. */
static GBytes *
read_tls_trust (EsimcliArgs *args, GError **error)
{
	const gchar *option = args->eim_tls_ca != NULL ? "tls-ca" : "tls-key";
	const gchar *path = args->eim_tls_ca != NULL ? args->eim_tls_ca : args->eim_tls_key;
	EsimEimKeyKind wanted = args->eim_tls_ca != NULL ? ESIM_EIM_KEY_CERTIFICATE
							 : ESIM_EIM_KEY_PUBLIC_KEY;
	EsimEimKeyKind kind = ESIM_EIM_KEY_NONE;
	g_autoptr(GBytes) data = NULL;
	g_autoptr(GBytes) der = NULL;
	g_autoptr(GError) local = NULL;

	data = read_option_file (option, path, error);
	if (data == NULL)
		return NULL;
	der = esim_eim_key_from_data (data, &kind, &local);
	if (der == NULL) {
		esimcli_usage_error (error, _("--%s %s: %s"), option, path, local->message);
		return NULL;
	}
	if (kind != wanted) {
		esimcli_usage_error (error, wanted == ESIM_EIM_KEY_CERTIFICATE
				     ? _("--tls-ca %s: a public key, not a certificate (pin a key "
					 "with --tls-key)")
				     : _("--tls-key %s: a certificate, not a public key (trust a "
					 "certificate with --tls-ca)"), path);
		return NULL;
	}
	return g_steal_pointer (&data);
}

static gboolean
parse_protocols (const gchar *list, guint *protocols, GError **error)
{
	g_auto(GStrv) names = g_strsplit (list, ",", -1);

	*protocols = 0;
	for (guint i = 0; names[i] != NULL; i++) {
		const gchar *name = g_strstrip (names[i]);
		gboolean found = FALSE;

		for (guint j = 0; j < G_N_ELEMENTS (eim_protocols); j++) {
			if (g_strcmp0 (eim_protocols[j].name, name) == 0) {
				*protocols |= eim_protocols[j].bit;
				found = TRUE;
			}
		}
		if (!found)
			return esimcli_usage_error (error, _("--protocol: unknown protocol '%s' "
							     "(retrieve-https, retrieve-coaps, "
							     "inject-https, inject-coaps, "
							     "proprietary)"), name);
	}
	return TRUE;
}

static gboolean
check_field_options (EsimcliArgs *args, GError **error)
{
	if (args->eim_id == NULL)
		return esimcli_usage_error (error, _("missing --id (or give --file)"));
	if (args->eim_fqdn == NULL)
		return esimcli_usage_error (error, _("missing --fqdn: esimd reaches the eIM there"));
	if (args->eim_key == NULL)
		return esimcli_usage_error (error, _("missing --key: the eUICC checks the eIM's "
						     "signatures with it"));
	if (args->eim_tls_ca != NULL && args->eim_tls_key != NULL)
		return esimcli_usage_error (error, _("give --tls-ca or --tls-key, not both"));
	return TRUE;
}

/* The EimConfigurationData from --id, --fqdn, --key… */
static GBytes *
config_from_fields (EsimcliArgs *args, GError **error)
{
	EsimEimConfigInput input = { 0 };
	g_autoptr(GBytes) key = NULL;
	g_autoptr(GBytes) tls = NULL;
	g_autoptr(GError) local = NULL;
	GBytes *config;
	guint64 counter = 0;
	EsimEimKeyKind kind = ESIM_EIM_KEY_NONE;

	if (!check_field_options (args, error))
		return NULL;
	input.eim_id = args->eim_id;
	input.fqdn = args->eim_fqdn;
	input.id_type = -1;
	input.counter_value = -1;
	if (args->eim_counter != NULL) {
		if (!g_ascii_string_to_unsigned (args->eim_counter, 10, 0, G_MAXINT64, &counter,
						 NULL)) {
			esimcli_usage_error (error, _("--counter: '%s' is not a number from 0 up"),
					     args->eim_counter);
			return NULL;
		}
		input.counter_value = (gint64) counter;
	}
	if (args->eim_protocols != NULL &&
	    !parse_protocols (args->eim_protocols, &input.supported_protocols, error))
		return NULL;
	input.indirect_profile_download = args->eim_indirect_download;
	key = read_option_file ("key", args->eim_key, error);
	if (key == NULL)
		return NULL;
	/* checked here so that the message names the option and the file */
	{
		g_autoptr(GBytes) der = esim_eim_key_from_data (key, &kind, &local);

		if (der == NULL) {
			esimcli_usage_error (error, _("--key %s: %s"), args->eim_key, local->message);
			return NULL;
		}
	}
	input.public_key = key;
	if (args->eim_tls_ca != NULL || args->eim_tls_key != NULL) {
		tls = read_tls_trust (args, error);
		if (tls == NULL)
			return NULL;
		input.trusted_tls = tls;
	}
	config = esim_es10_encode_eim_config (&input, &local);
	if (config == NULL) {
		esimcli_usage_error (error, "%s", local->message);
		return NULL;
	}
	return config;
}

static gboolean
field_options_given (EsimcliArgs *args)
{
	return args->eim_id != NULL || args->eim_fqdn != NULL || args->eim_key != NULL ||
	       args->eim_tls_ca != NULL || args->eim_tls_key != NULL || args->eim_counter != NULL ||
	       args->eim_protocols != NULL || args->eim_indirect_download;
}

gboolean
esimcli_eim_add (EsimcliCli *cli, EsimcliArgs *args, GError **error)
{
	g_autoptr(GBytes) config = NULL;
	g_autoptr(GBytes) request = NULL;
	g_autoptr(GError) local = NULL;
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	const gchar *eid;

	if (!esimcli_expect_args (args, 0, 0, NULL, error))
		return FALSE;
	if (args->eim_file != NULL) {
		if (field_options_given (args))
			return esimcli_usage_error (error, _("--file holds the whole eIM "
							     "configuration: give it alone, without "
							     "--id, --fqdn or --key"));
		config = read_option_file ("file", args->eim_file, error);
		if (config == NULL)
			return FALSE;
		/* an AddInitialEimRequest (BF57) or one EimConfigurationData (30), as esimd takes */
		request = esim_es10_encode_add_initial_eim (config, &local);
		if (request == NULL)
			return esimcli_usage_error (error, _("--file %s: not an eIM configuration "
							     "(EimConfigurationData or "
							     "AddInitialEimRequest, DER): %s"),
						    args->eim_file, local->message);
	} else {
		request = config_from_fields (args, error);
		if (request == NULL)
			return FALSE;
	}

	if (!esimcli_connect (cli, TRUE, error))
		return FALSE;
	euicc = esimcli_pick_euicc (cli, args->euicc, error);
	if (euicc == NULL)
		return FALSE;
	eid = esimd_gdbus_euicc_get_eid (euicc);
	if (!esimd_gdbus_euicc_call_add_initial_eim_sync (
		    euicc, g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, request, TRUE), NULL,
		    error))
		return esimcli_convert_error (error, _("cannot add the eIM to eUICC %s"), eid);
	esimcli_print_done (cli, _("eIM added to eUICC %s."), eid);
	return TRUE;
}

/* ---- remove ---- */

static gboolean
confirm_remove (EsimdGdbusEuicc *euicc, guint n_eims, GError **error)
{
	const gchar *eid = esimd_gdbus_euicc_get_eid (euicc);
	gchar answer[64] = { 0 };

	if (n_eims == 1)
		g_print (_("This removes the eIM of eUICC %s.\n"), eid);
	else
		g_print (_("This removes all %u eIMs of eUICC %s.\n"), n_eims, eid);
	g_print ("%s ", _("Continue? [y/N]"));
	fflush (stdout);
	if (fgets (answer, sizeof (answer), stdin) == NULL)
		answer[0] = '\0';
	g_strstrip (answer);
	if (g_ascii_strcasecmp (answer, "y") == 0 || g_ascii_strcasecmp (answer, "yes") == 0 ||
	    g_strcmp0 (answer, _("y")) == 0)
		return TRUE;
	g_set_error_literal (error, ESIMCLI_ERROR, ESIMCLI_EXIT_ERROR, _("removal cancelled"));
	return FALSE;
}

/* The eUICC whose eIMs go, checked against what SGP.32 lets the device do. */
static EsimdGdbusEuicc *
remove_target (EsimcliCli *cli, EsimcliArgs *args, guint *n_eims, GError **error)
{
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autoptr(EsimdGdbusEim) eim = NULL;
	g_autolist(EsimdGdbusEim) eims = NULL;
	const gchar *spec = args->positional->len > 0 ? g_ptr_array_index (args->positional, 0)
						     : NULL;

	if (spec != NULL) {
		eim = find_eim (cli, spec, args->euicc, error);
		if (eim == NULL)
			return NULL;
		euicc = esimcli_euicc_by_path (cli, esimd_gdbus_eim_get_euicc (eim));
		if (euicc == NULL) {
			g_set_error (error, ESIMCLI_ERROR, ESIMCLI_EXIT_NOT_FOUND,
				     _("the eUICC of eIM '%s' is gone"), spec);
			return NULL;
		}
	} else {
		euicc = esimcli_pick_euicc (cli, args->euicc, error);
		if (euicc == NULL)
			return NULL;
	}
	eims = esimcli_list_eims (cli, g_dbus_proxy_get_object_path (G_DBUS_PROXY (euicc)));
	*n_eims = g_list_length (eims);
	if (*n_eims == 0) {
		g_set_error (error, ESIMCLI_ERROR, ESIMCLI_EXIT_NOT_FOUND, _("eUICC %s has no eIM"),
			     esimd_gdbus_euicc_get_eid (euicc));
		return NULL;
	}
	if (spec != NULL && *n_eims > 1) {
		g_set_error (error, ESIMCLI_ERROR, ESIMCLI_EXIT_ERROR,
			     _("eUICC %s has %u eIMs, and SGP.32 lets the device remove them only "
			       "all at once (eUICCMemoryReset): use --all, or have an eIM remove "
			       "'%s' (deleteEim)"),
			     esimd_gdbus_euicc_get_eid (euicc), *n_eims, spec);
		return NULL;
	}
	return g_steal_pointer (&euicc);
}

gboolean
esimcli_eim_remove (EsimcliCli *cli, EsimcliArgs *args, GError **error)
{
	g_autoptr(EsimdGdbusEuicc) euicc = NULL;
	g_autoptr(GVariantBuilder) options = g_variant_builder_new (G_VARIANT_TYPE_VARDICT);
	guint n_eims = 0;
	const gchar *eid;

	if (!esimcli_expect_args (args, 0, 1, NULL, error))
		return FALSE;
	if (args->positional->len == 0 && !args->eim_all)
		return esimcli_usage_error (error, _("missing argument EIM (or --all)"));
	if (args->positional->len > 0 && args->eim_all)
		return esimcli_usage_error (error, _("name an eIM or give --all, not both"));
	/* decided before contacting the daemon: a script must never hang on a prompt */
	if (!args->yes && !esimcli_stdin_is_tty ())
		return esimcli_usage_error (error, _("refusing to remove eIMs without confirmation: "
						     "not on a terminal, use --yes"));
	if (!esimcli_connect (cli, TRUE, error))
		return FALSE;
	euicc = remove_target (cli, args, &n_eims, error);
	if (euicc == NULL)
		return FALSE;
	if (!args->yes && !confirm_remove (euicc, n_eims, error))
		return FALSE;

	g_variant_builder_add (options, "{sv}", "reset-eim-configuration",
			       g_variant_new_boolean (TRUE));
	eid = esimd_gdbus_euicc_get_eid (euicc);
	if (!esimd_gdbus_euicc_call_memory_reset_sync (euicc, g_variant_builder_end (options), NULL,
							error))
		return esimcli_convert_error (error, _("cannot remove the eIMs of eUICC %s"), eid);
	if (n_eims == 1)
		esimcli_print_done (cli, _("eIM removed from eUICC %s."), eid);
	else
		esimcli_print_done (cli, _("%u eIMs removed from eUICC %s."), n_eims, eid);
	return TRUE;
}
