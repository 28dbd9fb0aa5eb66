/** One form control per option of the chosen explainer, named by the option's key (as in the library). */
import type { Explainer } from '../../src/web/index';
import type { FormValues } from './options';

/** Options the page sets through its own controls (target class, layer) rather than in the form. */
const PAGE_CONTROLLED = new Set(['featureLayer', 'target']);

export function MethodForm(props: {
  explainer: Explainer;
  values: FormValues;
  onChange: (values: FormValues) => void;
}) {
  const { explainer, values } = props;
  const set = (key: string, value: string | boolean) => props.onChange({ ...values, [key]: value });
  return (
    <div data-testid="method-options">
      {explainer.options
        .filter((o) => !PAGE_CONTROLLED.has(o.key))
        .map((o) => {
          const id = `option-${o.key}`;
          const title = `${o.flag}: ${o.description}`;
          if (o.kind === 'flag') {
            return (
              <label key={o.key} title={title}>
                <input
                  type="checkbox"
                  name={o.key}
                  checked={values[o.key] === true}
                  onChange={(e) => set(o.key, e.target.checked)}
                />{' '}
                {o.key}
              </label>
            );
          }
          return (
            <div key={o.key}>
              <label htmlFor={id} title={title}>
                {o.key} <span className="status">({o.description})</span>
              </label>
              {o.kind === 'choice' ? (
                <select
                  id={id}
                  name={o.key}
                  value={String(values[o.key] ?? '')}
                  onChange={(e) => set(o.key, e.target.value)}
                >
                  <option value="">default</option>
                  {(o.choices ?? []).map((c) => (
                    <option key={c} value={c}>
                      {c}
                    </option>
                  ))}
                </select>
              ) : (
                <input
                  id={id}
                  name={o.key}
                  type={o.kind === 'int' || o.kind === 'number' ? 'number' : 'text'}
                  placeholder="default"
                  value={String(values[o.key] ?? '')}
                  onChange={(e) => set(o.key, e.target.value)}
                />
              )}
            </div>
          );
        })}
    </div>
  );
}
