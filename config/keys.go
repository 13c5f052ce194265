package config

import (
	"reflect"
	"strings"
)

var rawTypes = map[string]reflect.Type{
	"rawFile": reflect.TypeFor[rawFile](), "rawCrawler": reflect.TypeFor[rawCrawler](),
	"rawEvaluation": reflect.TypeFor[rawEvaluation](), "rawEvidence": reflect.TypeFor[rawEvidence](), "rawSlack": reflect.TypeFor[rawSlack](),
	"rawSource": reflect.TypeFor[rawSource](), "rawElection": reflect.TypeFor[rawElection](),
	"rawRound": reflect.TypeFor[rawRound](), "rawZone": reflect.TypeFor[rawZone](),
	"rawWindow": reflect.TypeFor[rawWindow](), "rawGuidance": reflect.TypeFor[rawGuidance](),
	"rawLeak": reflect.TypeFor[rawLeak](), "rawRule": reflect.TypeFor[rawRule](),
	"rawScope": reflect.TypeFor[rawScope](), "rawMatch": reflect.TypeFor[rawMatch](),
	"rawNear": reflect.TypeFor[rawNear](), "rawRoute": reflect.TypeFor[rawRoute](),
	"rawDigest": reflect.TypeFor[rawDigest](), "rawLeakQuote": reflect.TypeFor[rawLeakQuote](),
	"rawLeakReport": reflect.TypeFor[rawLeakReport](),
}

// knownKeys lists the YAML keys a raw type accepts, for "unknown key"
// messages.
func knownKeys(typeName string) []string {
	t, ok := rawTypes[typeName]
	if !ok {
		return nil
	}
	keys := make([]string, 0, t.NumField())
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		keys = append(keys, name)
	}
	return keys
}
