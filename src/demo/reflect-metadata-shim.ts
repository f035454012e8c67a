// @peculiar/x509 pulls in tsyringe, which refuses to load without the `reflect-metadata`
// polyfill. It only ever calls these three functions, so a WeakMap-backed stand-in is enough and
// spares a dependency. Imported for its side effect, before @peculiar/x509.
type MetadataMap = Map<unknown, unknown>;
interface ReflectMetadata {
  getMetadata?: (key: unknown, target: object) => unknown;
  getOwnMetadata?: (key: unknown, target: object) => unknown;
  defineMetadata?: (key: unknown, value: unknown, target: object) => void;
}

const reflect = Reflect as unknown as ReflectMetadata;
if (typeof reflect.getMetadata !== 'function') {
  const store = new WeakMap<object, MetadataMap>();
  const own = (key: unknown, target: object): unknown => store.get(target)?.get(key);
  reflect.getOwnMetadata = own;
  reflect.getMetadata = (key, target) => {
    for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
      const v = own(key, t);
      if (v !== undefined) return v;
    }
    return undefined;
  };
  reflect.defineMetadata = (key, value, target) => {
    let m = store.get(target);
    if (m === undefined) store.set(target, (m = new Map()));
    m.set(key, value);
  };
}
