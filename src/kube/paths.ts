// REST paths of collections and objects, and the resource label metrics use for them.

import type { ObjectRef, ResourceType } from './types.js';

function basePathOf(type: ResourceType): string {
  return type.group ? `/apis/${type.group}/${type.version}` : `/api/${type.version}`;
}

/** The REST path of a collection (no name) or an object, with an optional subresource. */
export function resourcePath(
  type: ResourceType,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  let p = basePathOf(type);
  if (type.namespaced && namespace) p += `/namespaces/${encodeURIComponent(namespace)}`;
  p += `/${type.resource}`;
  if (name !== undefined) {
    if (!name) throw new TypeError(`an empty ${type.kind} name`);
    p += `/${encodeURIComponent(name)}`;
    if (subresource) p += `/${subresource}`;
  }
  return p;
}

/** The path of a named object; a namespaced type needs its namespace. */
export function objectPath(ref: ObjectRef): string {
  if (ref.type.namespaced && !ref.namespace) {
    throw new TypeError(`${ref.type.kind} "${ref.name ?? ''}" is namespaced: a namespace is required`);
  }
  if (!ref.name) throw new TypeError(`a ${ref.type.kind} reference needs a name`);
  return resourcePath(ref.type, ref.namespace, ref.name, ref.subresource);
}

/** The path of the collection `ref` belongs to (where a create goes). */
export function collectionPath(ref: ObjectRef): string {
  if (ref.type.namespaced && !ref.namespace) {
    throw new TypeError(`${ref.type.kind} is namespaced: a namespace is required`);
  }
  return resourcePath(ref.type, ref.namespace);
}

/** Plural resource, with '/subresource' when there is one (e.g. 'externalsecrets/status'). */
export function resourceLabel(type: ResourceType, subresource?: string): string {
  return subresource ? `${type.resource}/${subresource}` : type.resource;
}
