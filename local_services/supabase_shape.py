"""A local PostgreSQL shaped like a hosted Supabase project, for the local stack and the restore tests.

It stands in for what a backup and a restore meet on Supabase, written from Supabase's public
documentation of its roles and schemas (https://supabase.com/docs/guides/database/postgres/roles,
https://supabase.com/docs/guides/api/api-keys, https://supabase.com/docs/guides/auth/managing-user-data,
https://supabase.com/docs/guides/storage/schema/design), kept small:

- the cluster's superuser is `supabase_admin`, which is not ours (its password is thrown away);
- `postgres` is what an operator gets: LOGIN, CREATEDB, CREATEROLE, BYPASSRLS, REPLICATION, no
  SUPERUSER; it owns `public`, where Supabase grants anon/authenticated/service_role by default;
- the API roles `anon`, `authenticated`, `service_role` (BYPASSRLS) and `authenticator` (the
  role PostgREST logs in as before it switches to one of the three);
- managed schemas with a representative object each: `auth` (owned by `supabase_auth_admin`:
  `users` with phone-OTP rows, `identities`, `schema_migrations`, `auth.uid()`), `storage`
  (owned by `supabase_storage_admin`: `buckets`, `objects` with RLS on, `migrations`),
  `extensions` (pgcrypto), `realtime`, `graphql_public`, and `vault` (its table unreadable by
  `postgres`, as a dump of everything would find out).
- the application: `public`'s sample tables (`local_services.sample_database`), `profiles`
  keyed by `auth.users`, and an `app` schema, with RLS policies and grants to anon/authenticated.

What it does not stand in for: GoTrue, PostgREST, Storage's API, the many other tables and
functions of the real `auth`/`storage` schemas.
"""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg import sql

from local_services.postgres import PostgresCluster, start_cluster
from local_services.sample_database import fill_sample_database

SUPERUSER = "supabase_admin"
API_ROLES = ("anon", "authenticated", "service_role")

ROLES = """
CREATE ROLE postgres LOGIN CREATEDB CREATEROLE REPLICATION BYPASSRLS;
CREATE ROLE anon NOLOGIN NOINHERIT;
CREATE ROLE authenticated NOLOGIN NOINHERIT;
CREATE ROLE service_role NOLOGIN NOINHERIT BYPASSRLS;
CREATE ROLE authenticator LOGIN NOINHERIT;
CREATE ROLE supabase_auth_admin LOGIN NOINHERIT CREATEROLE;
CREATE ROLE supabase_storage_admin LOGIN NOINHERIT CREATEROLE;
GRANT anon, authenticated, service_role TO authenticator;
GRANT anon, authenticated, service_role TO postgres;
"""

# Run as supabase_admin in each new project database.
MANAGED = """
ALTER SCHEMA public OWNER TO postgres;
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON TABLES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON SEQUENCES TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE postgres IN SCHEMA public GRANT ALL ON FUNCTIONS TO anon, authenticated, service_role;
ALTER DEFAULT PRIVILEGES FOR ROLE supabase_admin IN SCHEMA public
    GRANT ALL ON TABLES TO anon, authenticated, service_role;

CREATE SCHEMA extensions;
GRANT USAGE ON SCHEMA extensions TO postgres, anon, authenticated, service_role;
CREATE EXTENSION pgcrypto WITH SCHEMA extensions;

CREATE SCHEMA auth AUTHORIZATION supabase_auth_admin;
SET ROLE supabase_auth_admin;
CREATE TABLE auth.users (
    instance_id uuid,
    id uuid PRIMARY KEY,
    aud varchar(255),
    role varchar(255),
    email varchar(255),
    phone text UNIQUE DEFAULT NULL,
    phone_confirmed_at timestamptz,
    raw_app_meta_data jsonb,
    raw_user_meta_data jsonb,
    created_at timestamptz,
    updated_at timestamptz,
    last_sign_in_at timestamptz
);
CREATE TABLE auth.identities (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    provider_id text NOT NULL,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    identity_data jsonb NOT NULL,
    provider text NOT NULL,
    created_at timestamptz,
    UNIQUE (provider_id, provider)
);
CREATE TABLE auth.refresh_tokens (
    id bigserial PRIMARY KEY,
    token varchar(255) UNIQUE,
    user_id varchar(255),
    revoked boolean,
    created_at timestamptz
);
CREATE TABLE auth.schema_migrations (version varchar(255) PRIMARY KEY);
INSERT INTO auth.schema_migrations VALUES ('20171026211738'), ('20221208132122'), ('20240427152123');
CREATE FUNCTION auth.uid() RETURNS uuid LANGUAGE sql STABLE AS $$
  SELECT nullif(coalesce(current_setting('request.jwt.claim.sub', true),
                         current_setting('request.jwt.claims', true)::jsonb ->> 'sub'), '')::uuid
$$;
RESET ROLE;
GRANT USAGE ON SCHEMA auth TO postgres, anon, authenticated, service_role;
GRANT ALL ON ALL TABLES IN SCHEMA auth TO postgres;
GRANT ALL ON ALL SEQUENCES IN SCHEMA auth TO postgres;

CREATE SCHEMA storage AUTHORIZATION supabase_storage_admin;
SET ROLE supabase_storage_admin;
CREATE TABLE storage.buckets (
    id text PRIMARY KEY,
    name text NOT NULL UNIQUE,
    public boolean DEFAULT false,
    created_at timestamptz DEFAULT now()
);
CREATE TABLE storage.objects (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    bucket_id text REFERENCES storage.buckets (id),
    name text,
    owner uuid,
    metadata jsonb,
    created_at timestamptz DEFAULT now(),
    UNIQUE (bucket_id, name)
);
ALTER TABLE storage.objects ENABLE ROW LEVEL SECURITY;
CREATE TABLE storage.migrations (id integer PRIMARY KEY, name varchar(100) UNIQUE NOT NULL, executed_at timestamp);
INSERT INTO storage.migrations VALUES (0, 'create-migrations-table', now()), (1, 'initialmigration', now());
RESET ROLE;
GRANT USAGE ON SCHEMA storage TO postgres, anon, authenticated, service_role;
GRANT ALL ON ALL TABLES IN SCHEMA storage TO postgres, service_role;

CREATE SCHEMA realtime;
CREATE TABLE realtime.schema_migrations (version bigint PRIMARY KEY, inserted_at timestamp(0));
INSERT INTO realtime.schema_migrations VALUES (20211116024918, now());
GRANT USAGE ON SCHEMA realtime TO postgres, anon, authenticated, service_role;
CREATE SCHEMA graphql_public;
GRANT USAGE ON SCHEMA graphql_public TO postgres, anon, authenticated, service_role;
CREATE SCHEMA vault;
CREATE TABLE vault.secrets (id uuid PRIMARY KEY DEFAULT gen_random_uuid(), name text, secret text NOT NULL);
INSERT INTO vault.secrets (name, secret) VALUES ('example', 'not readable by postgres');
"""

# The managed rows an application produces: phone-OTP accounts (GoTrue writes them) and Storage metadata.
AUTH_ROWS = """
INSERT INTO auth.users (id, aud, role, phone, phone_confirmed_at, raw_app_meta_data, raw_user_meta_data,
                        created_at, updated_at, last_sign_in_at)
SELECT md5('user' || i)::uuid, 'authenticated', 'authenticated', '49155' || lpad(i::text, 8, '0'),
       timestamptz '2026-01-01 00:00:00+00' + i * interval '1 minute',
       '{"provider": "phone", "providers": ["phone"]}', jsonb_build_object('display', 'Fan ' || i),
       timestamptz '2026-01-01 00:00:00+00' + i * interval '1 minute',
       timestamptz '2026-01-01 00:00:00+00' + i * interval '1 minute',
       timestamptz '2026-02-01 00:00:00+00' + i * interval '1 minute'
FROM generate_series(1, %(users)s) AS i;
INSERT INTO auth.identities (provider_id, user_id, identity_data, provider, created_at)
SELECT id::text, id, jsonb_build_object('sub', id::text, 'phone', phone), 'phone', created_at FROM auth.users;
INSERT INTO auth.refresh_tokens (token, user_id, revoked, created_at)
SELECT md5('token' || id), id::text, false, last_sign_in_at FROM auth.users;
INSERT INTO storage.buckets (id, name, public) VALUES ('posters', 'posters', true);
INSERT INTO storage.objects (bucket_id, name, owner, metadata)
SELECT 'posters', 'event-' || i || '.webp', NULL, jsonb_build_object('size', 1000 + i, 'mimetype', 'image/webp')
FROM generate_series(1, 20) AS i;
"""

# Run as postgres: the application's own objects, RLS and grants, on top of the sample tables.
APPLICATION = """
CREATE TABLE public.profiles (
    id uuid PRIMARY KEY REFERENCES auth.users (id) ON DELETE CASCADE,
    display_name text NOT NULL,
    marketing_opt_in boolean NOT NULL DEFAULT false
);
INSERT INTO public.profiles (id, display_name) SELECT id, raw_user_meta_data ->> 'display' FROM auth.users;
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
CREATE POLICY "profiles: a fan reads and edits their own" ON public.profiles FOR ALL TO authenticated
    USING ((SELECT auth.uid()) = id) WITH CHECK ((SELECT auth.uid()) = id);
ALTER TABLE public.artists ENABLE ROW LEVEL SECURITY;
CREATE POLICY "artists: everyone reads" ON public.artists FOR SELECT TO anon, authenticated USING (true);
ALTER TABLE public.events ENABLE ROW LEVEL SECURITY;
CREATE POLICY "events: everyone reads upcoming" ON public.events FOR SELECT TO anon, authenticated
    USING (starts_at >= timestamptz '2026-03-01 00:00:00+00');
ALTER TABLE public.tickets ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.audit_log ENABLE ROW LEVEL SECURITY;
REVOKE ALL ON public.audit_log, public.tickets FROM anon, authenticated;
REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON public.artists, public.events FROM anon;

CREATE SCHEMA app;
GRANT USAGE ON SCHEMA app TO authenticated, service_role;
CREATE TABLE app.settings (key text PRIMARY KEY, value jsonb NOT NULL);
INSERT INTO app.settings VALUES ('sms_window_minutes', '10'), ('box_office_open', 'true');
ALTER TABLE app.settings ENABLE ROW LEVEL SECURITY;
CREATE POLICY "settings: signed-in fans read" ON app.settings FOR SELECT TO authenticated USING (true);
GRANT SELECT ON app.settings TO authenticated;
GRANT ALL ON app.settings TO service_role;
"""


def create_roles(admin: dict[str, Any], postgres_password: str | None) -> None:
    """The cluster-wide roles (once per cluster), connected as supabase_admin."""
    with psycopg.connect(**{**admin, "dbname": "postgres"}, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = 'anon'").fetchone():
            return
        with conn.transaction():
            conn.execute(ROLES)
            if postgres_password is not None:
                conn.execute(sql.SQL("ALTER ROLE postgres PASSWORD {}").format(sql.Literal(postgres_password)))


def create_project_database(admin: dict[str, Any], dbname: str, *, users: int = 0) -> None:
    """A new database as a fresh Supabase project has it: the managed schemas, `users` accounts, no application."""
    with psycopg.connect(**{**admin, "dbname": "postgres"}, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} ENCODING 'UTF8' TEMPLATE template0").format(sql.Identifier(dbname)))
        conn.execute(sql.SQL("GRANT ALL ON DATABASE {} TO postgres").format(sql.Identifier(dbname)))
    with psycopg.connect(**{**admin, "dbname": dbname}) as conn:
        conn.execute(MANAGED)
        if users:
            psycopg.ClientCursor(conn).execute(AUTH_ROWS, {"users": users})


def add_application(owner: dict[str, Any], dbname: str, *, rows: int, bio_kib: int = 16) -> None:
    """The application's tables, rows, RLS policies and grants, created by `postgres` (`owner`)."""
    with psycopg.connect(**{**owner, "dbname": dbname}) as conn:
        fill_sample_database(conn, rows, bio_kib)
        conn.execute(APPLICATION)
    with psycopg.connect(**{**owner, "dbname": dbname}, autocommit=True) as conn:
        conn.execute("ANALYZE")


def create_supabase_database(
    admin: dict[str, Any], owner: dict[str, Any], dbname: str, *, rows: int, users: int = 50, bio_kib: int = 16
) -> None:
    """A Supabase-shaped project database in use: managed schemas with rows, and the application."""
    create_project_database(admin, dbname, users=users)
    add_application(owner, dbname, rows=rows, bio_kib=bio_kib)


def start_supabase_cluster(password: str) -> PostgresCluster:
    """A throwaway cluster whose superuser is supabase_admin; `postgres` (not a superuser) logs in with `password`."""
    cluster = start_cluster(password=password, superuser=SUPERUSER)
    try:
        create_roles(dict(cluster.socket()), password)
    except BaseException:
        cluster.stop()
        raise
    return cluster
