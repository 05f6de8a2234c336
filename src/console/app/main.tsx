import { render } from "preact";
import { useEffect, useState } from "preact/hooks";
import { ApiError, login, logout, onSignedOut, refresh } from "./api";
import { can } from "./permissions";
import { match, navigate, route } from "./router";
import { SCREENS } from "./screens";
import { loadMe, me } from "./session";
import "./styles.css";
import { TextField } from "./ui/fields";
import { FormError, useForm } from "./ui/form";

function Login() {
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const form = useForm(async () => {
    await login(name, password);
    await loadMe();
  });
  return (
    <main class="login">
      <form onSubmit={form.submit} aria-labelledby="login-title" novalidate>
        <h1 id="login-title">souk admin</h1>
        <TextField
          label="Email or username"
          error={form.errors.login}
          autocomplete="username"
          value={name}
          onValue={setName}
        />
        <TextField
          label="Password"
          error={form.errors.password}
          type="password"
          autocomplete="current-password"
          value={password}
          onValue={setPassword}
        />
        <FormError errors={form.errors} fields={["login", "password"]} />
        <button type="submit" disabled={form.busy}>
          {form.busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}

function Shell() {
  const user = me.value!;
  const screens = SCREENS.filter((s) => can(user.permissions, s.permission));
  const path = route.value;
  let found: { screen: (typeof SCREENS)[number]; params: Record<string, string> } | null = null;
  for (const s of screens) {
    const params = match(s.path, path);
    if (params) {
      found = { screen: s, params };
      break;
    }
  }
  useEffect(() => {
    // The first screen this user may open, when the one asked for is not theirs.
    if (!found && screens[0]) navigate(screens[0].path);
  }, [found, screens]);
  const Screen = found?.screen.component;
  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <strong>souk admin</strong>
        <span class="muted">
          {user.email ?? user.username} · {user.role}
        </span>
        <button type="button" class="link" onClick={() => logout()}>
          Sign out
        </button>
      </header>
      <nav aria-label="Screens">
        <ul>
          {screens
            .filter((s) => s.nav)
            .map((s) => {
              const active =
                found?.screen.path === s.path || (s.path !== "/" && path.startsWith(`${s.path}/`));
              return (
                <li key={s.path}>
                  <a href={`#${s.path}`} aria-current={active ? "page" : undefined}>
                    {s.title}
                  </a>
                </li>
              );
            })}
        </ul>
      </nav>
      <main id="main" tabIndex={-1}>
        {Screen && found ? (
          <Screen params={found.params} />
        ) : (
          <p class="muted">Nothing to show for your role.</p>
        )}
      </main>
    </div>
  );
}

function App() {
  const [ready, setReady] = useState(false);
  useEffect(() => {
    onSignedOut(() => {
      me.value = null;
    });
    // A reload keeps the session through the refresh cookie; nothing is kept in storage.
    refresh()
      .then(async (ok) => {
        if (ok) await loadMe();
      })
      .catch((e) => {
        if (!(e instanceof ApiError)) throw e;
      })
      .finally(() => setReady(true));
  }, []);
  if (!ready) return <p class="muted">Loading…</p>;
  return me.value ? <Shell /> : <Login />;
}

render(<App />, document.getElementById("app")!);
