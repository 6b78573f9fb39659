import { useEffect, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router-dom';
import { useMutation } from 'urql';
import { RegisterDocument } from '../gql/graphql';
import { useSession } from '../session';

export function RegisterPage() {
  const session = useSession();
  const navigate = useNavigate();
  const [form, setForm] = useState({ firstName: '', lastName: '', email: '', password: '' });
  const [message, setMessage] = useState<string | null>(null);
  const [{ fetching }, register] = useMutation(RegisterDocument);
  useEffect(() => {
    document.title = 'Create an account · Commerce';
  }, []);
  const field = (key: keyof typeof form, label: string, type: string, autoComplete: string) => (
    <div className="field">
      <label htmlFor={`register-${key}`}>{label}</label>
      <input
        id={`register-${key}`}
        type={type}
        autoComplete={autoComplete}
        required
        minLength={key === 'password' ? 10 : undefined}
        value={form[key]}
        onChange={(event) => setForm({ ...form, [key]: event.target.value })}
        aria-describedby={key === 'password' ? 'password-help' : undefined}
      />
    </div>
  );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const result = await register({ input: form });
    const outcome = result.data?.register;
    if (!outcome) return setMessage(result.error?.message ?? 'Registration failed');
    if (outcome.__typename !== 'RegistrationAccepted') return setMessage(outcome.message);
    const error = await session.signIn(form.email, form.password);
    if (error) setMessage(`${outcome.message} ${error}`);
    else navigate('/account');
  };
  return (
    <form onSubmit={submit} className="narrow" aria-labelledby="register-title">
      <h1 id="register-title">Create an account</h1>
      {field('firstName', 'First name', 'text', 'given-name')}
      {field('lastName', 'Last name', 'text', 'family-name')}
      {field('email', 'Email', 'email', 'email')}
      {field('password', 'Password', 'password', 'new-password')}
      <p id="password-help" className="help">
        10 to 128 characters; a passphrase is best.
      </p>
      <button type="submit" className="primary" disabled={fetching}>
        Create account
      </button>
      {message && <p role="alert">{message}</p>}
    </form>
  );
}
