// Command workwxref is make load's second reference: the go-workwx SDK's
// callback handler (verify, decrypt, parse; it answers an empty 200) doing
// the same pipelined Redis write as the minimal handler. It is a module of
// its own so that partybot does not depend on go-workwx.
package main

import (
	"context"
	"flag"
	"log"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/xen0n/go-workwx"
)

type handler struct{ rdb *redis.Client }

func (h handler) OnIncomingMessage(msg *workwx.RxMessage) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	pipe := h.rdb.Pipeline()
	pipe.SetNX(ctx, "bench:workwx:"+strconv.FormatInt(msg.MsgID, 10), msg.FromUserID, time.Hour)
	pipe.HSet(ctx, "bench:workwx:checkins", msg.FromUserID, time.Now().Unix())
	_, err := pipe.Exec(ctx)
	return err
}

func main() {
	listen := flag.String("listen", "127.0.0.1:18082", "address to serve the callback on")
	redisAddr := flag.String("redis", "127.0.0.1:6379", "Redis address or unix socket")
	token := flag.String("token", "", "callback token")
	aesKey := flag.String("aes-key", "", "EncodingAESKey")
	flag.Parse()
	opt := &redis.Options{Addr: *redisAddr}
	if strings.HasPrefix(*redisAddr, "/") {
		opt.Network = "unix"
	}
	h, err := workwx.NewHTTPHandler(*token, *aesKey, handler{redis.NewClient(opt)})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/wecom/callback", h)
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ready\n")) })
	log.Fatal((&http.Server{Addr: *listen, Handler: mux, ReadHeaderTimeout: 5 * time.Second}).ListenAndServe())
}
