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
// is not changed; values that marshal themselves are left as they are.
func Lists(v any) any {
	if v == nil {
		return nil
	}
	return lists(reflect.ValueOf(v)).Interface()
}

func lists(v reflect.Value) reflect.Value {
	t := v.Type()
	if t.Implements(marshaler) || t.Implements(textMarshaler) ||
		reflect.PointerTo(t).Implements(marshaler) || reflect.PointerTo(t).Implements(textMarshaler) {
		return v
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			return v
		}
		c := reflect.New(t.Elem())
		c.Elem().Set(lists(v.Elem()))
		return c
	case reflect.Interface:
		if v.IsNil() {
			return v
		}
		c := reflect.New(t).Elem()
		c.Set(lists(v.Elem()))
		return c
	case reflect.Struct:
		c := reflect.New(t).Elem()
		c.Set(v)
		for i := range t.NumField() {
			if f := t.Field(i); f.IsExported() {
				c.Field(i).Set(lists(v.Field(i)))
			}
		}
		return c
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			return v // []byte is a base64 string, not a list
		}
		c := reflect.MakeSlice(t, v.Len(), v.Len())
		for i := range v.Len() {
			c.Index(i).Set(lists(v.Index(i)))
		}
		return c
	case reflect.Array:
		c := reflect.New(t).Elem()
		for i := range v.Len() {
			c.Index(i).Set(lists(v.Index(i)))
		}
		return c
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeMapWithSize(t, v.Len())
		for it := v.MapRange(); it.Next(); {
			c.SetMapIndex(it.Key(), lists(it.Value()))
		}
		return c
	}
	return v
}
