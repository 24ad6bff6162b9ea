// Package jsonout holds what every --json output shares: lists are lists.
package jsonout

import (
	"encoding"
	"encoding/json"
	"reflect"
)

var (
	marshaler     = reflect.TypeFor[json.Marshaler]()
	textMarshaler = reflect.TypeFor[encoding.TextMarshaler]()
)

// Lists returns v with every nil slice in it, at any depth, made an empty
// one, so encoding/json writes [] where a reader expects a list and never
// null: `jq '.findings | length'` works on an empty repository. v itself
// is not changed, and only what leads to a nil slice is copied: a value
// without one is returned as it is. Values that marshal themselves are
// left as they are.
func Lists(v any) any {
	if v == nil {
		return nil
	}
	out, _ := lists(reflect.ValueOf(v))
	return out.Interface()
}

// lists returns v with its nil slices made empty, and whether that changed
// anything; when not, v itself.
func lists(v reflect.Value) (reflect.Value, bool) {
	t := v.Type()
	if t.Implements(marshaler) || t.Implements(textMarshaler) ||
		reflect.PointerTo(t).Implements(marshaler) || reflect.PointerTo(t).Implements(textMarshaler) {
		return v, false
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v, false
		}
		e, changed := lists(v.Elem())
		if !changed {
			return v, false
		}
		c := reflect.New(t.Elem())
		c.Elem().Set(e)
		return c, true
	case reflect.Interface:
		if v.IsNil() {
			return v, false
		}
		e, changed := lists(v.Elem())
		if !changed {
			return v, false
		}
		c := reflect.New(t).Elem()
		c.Set(e)
		return c, true
	case reflect.Struct:
		var c reflect.Value
		for i := range t.NumField() {
			if !t.Field(i).IsExported() {
				continue
			}
			if f, changed := lists(v.Field(i)); changed {
				if !c.IsValid() {
					c = reflect.New(t).Elem()
					c.Set(v)
				}
				c.Field(i).Set(f)
			}
		}
		if !c.IsValid() {
			return v, false
		}
		return c, true
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return v, false // []byte is a base64 string, not a list
		}
		if v.IsNil() {
			return reflect.MakeSlice(t, 0, 0), true
		}
		return elems(v, func() reflect.Value {
			c := reflect.MakeSlice(t, v.Len(), v.Len())
			reflect.Copy(c, v)
			return c
		})
	case reflect.Array:
		return elems(v, func() reflect.Value {
			c := reflect.New(t).Elem()
			c.Set(v)
			return c
		})
	case reflect.Map:
		var c reflect.Value
		for it := v.MapRange(); it.Next(); {
			if e, changed := lists(it.Value()); changed {
				if !c.IsValid() {
					c = reflect.MakeMapWithSize(t, v.Len())
					for all := v.MapRange(); all.Next(); {
						c.SetMapIndex(all.Key(), all.Value())
					}
				}
				c.SetMapIndex(it.Key(), e)
			}
		}
		if !c.IsValid() {
			return v, false
		}
		return c, true
	}
	return v, false
}

// elems applies lists to each element of the slice or array v, copying v
// (with clone) at the first element that changes.
func elems(v reflect.Value, clone func() reflect.Value) (reflect.Value, bool) {
	var c reflect.Value
	for i := range v.Len() {
		if e, changed := lists(v.Index(i)); changed {
			if !c.IsValid() {
				c = clone()
			}
			c.Index(i).Set(e)
		}
	}
	if !c.IsValid() {
		return v, false
	}
	return c, true
}
