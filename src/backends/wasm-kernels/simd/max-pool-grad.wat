;; Gradient of a 2-D max pool (NHWC) with WebAssembly SIMD.
;;
;; Each output pixel's window is scanned for its maximum, four channels at a
;; time: the first strict maximum in row-major order wins, as in tfjs' cpu
;; backend, and receives that pixel's dy (summed where windows overlap). A
;; window whose values are all -Infinity or NaN has no maximum; its dy goes to
;; a 16-byte scratch slot, as the cpu backend drops it.
;;
;; The host (max-pool-grad.ts) pads x with -Infinity so that every window lies
;; inside the buffer, pads the channels to a multiple of 4, zeroes dx (same
;; layout as x) and crops dx afterwards. Pointers and strides are in bytes;
;; N, OH, OW, KH, KW >= 1 and the channel bytes are a positive multiple of 16.
(module
  (memory (export "memory") 1)

  (func (export "maxPoolGrad")
    (param $x i32)          ;; padded input [N, Hp, Wp, Cp]
    (param $dy i32)         ;; [N, OH, OW, Cp]
    (param $dx i32)         ;; padded, zeroed, like x
    (param $scratch i32)    ;; 16 bytes for the dy of windows without a maximum
    (param $N i32) (param $OH i32) (param $OW i32) (param $KH i32) (param $KW i32)
    (param $channelBytes i32) ;; Cp * 4
    (param $imageStride i32)  ;; Hp * Wp * Cp * 4
    (param $rowStride i32)    ;; Wp * Cp * 4: next row of x
    (param $outRowStride i32) ;; strideHeight * Wp * Cp * 4: next output row's window
    (param $outColStride i32) ;; strideWidth * Cp * 4: next output column's window
    (local $n i32) (local $oh i32) (local $ow i32) (local $c i32) (local $kh i32) (local $kw i32)
    (local $image i32) (local $windowRow i32) (local $window i32) (local $p i32) (local $pdy i32)
    (local $toDx i32) (local $lanes v128) (local $none v128)
    (local $best v128) (local $at v128) (local $v v128) (local $m v128) (local $g v128) (local $a i32)
    ;; Byte offsets of the four lanes, and where a lane's dy goes with no maximum.
    (local.set $lanes (v128.const i32x4 0 4 8 12))
    (local.set $toDx (i32.sub (local.get $dx) (local.get $x)))
    (local.set $none (i32x4.add (i32x4.splat (i32.sub (local.get $scratch) (local.get $toDx))) (local.get $lanes)))
    (local.set $pdy (local.get $dy))
    (local.set $n (i32.const 0))
    (loop $images
      (local.set $image (i32.add (local.get $x) (i32.mul (local.get $n) (local.get $imageStride))))
      (local.set $oh (i32.const 0))
      (loop $outRows
        (local.set $windowRow (i32.add (local.get $image) (i32.mul (local.get $oh) (local.get $outRowStride))))
        (local.set $ow (i32.const 0))
        (loop $outCols
          (local.set $window (i32.add (local.get $windowRow) (i32.mul (local.get $ow) (local.get $outColStride))))
          (local.set $c (i32.const 0))
          (loop $channels
            (local.set $best (f32x4.splat (f32.const -inf)))
            (local.set $at (local.get $none))
            (local.set $kh (i32.const 0))
            (loop $taps
              (local.set $p (i32.add (i32.add (local.get $window) (local.get $c))
                                     (i32.mul (local.get $kh) (local.get $rowStride))))
              (local.set $kw (i32.const 0))
              (loop $tapCols
                (local.set $v (v128.load (local.get $p)))
                (local.set $m (f32x4.gt (local.get $v) (local.get $best)))
                (local.set $best (v128.bitselect (local.get $v) (local.get $best) (local.get $m)))
                (local.set $at (v128.bitselect
                  (i32x4.add (i32x4.splat (local.get $p)) (local.get $lanes)) (local.get $at) (local.get $m)))
                (local.set $p (i32.add (local.get $p) (local.get $channelBytes)))
                (local.set $kw (i32.add (local.get $kw) (i32.const 1)))
                (br_if $tapCols (i32.lt_u (local.get $kw) (local.get $KW))))
              (local.set $kh (i32.add (local.get $kh) (i32.const 1)))
              (br_if $taps (i32.lt_u (local.get $kh) (local.get $KH))))
            ;; dx[argmax] += dy, lane by lane (windows may overlap).
            (local.set $g (v128.load (local.get $pdy)))
            (local.set $a (i32.add (i32x4.extract_lane 0 (local.get $at)) (local.get $toDx)))
            (f32.store (local.get $a) (f32.add (f32.load (local.get $a)) (f32x4.extract_lane 0 (local.get $g))))
            (local.set $a (i32.add (i32x4.extract_lane 1 (local.get $at)) (local.get $toDx)))
            (f32.store (local.get $a) (f32.add (f32.load (local.get $a)) (f32x4.extract_lane 1 (local.get $g))))
            (local.set $a (i32.add (i32x4.extract_lane 2 (local.get $at)) (local.get $toDx)))
            (f32.store (local.get $a) (f32.add (f32.load (local.get $a)) (f32x4.extract_lane 2 (local.get $g))))
            (local.set $a (i32.add (i32x4.extract_lane 3 (local.get $at)) (local.get $toDx)))
            (f32.store (local.get $a) (f32.add (f32.load (local.get $a)) (f32x4.extract_lane 3 (local.get $g))))
            (local.set $pdy (i32.add (local.get $pdy) (i32.const 16)))
            (local.set $c (i32.add (local.get $c) (i32.const 16)))
            (br_if $channels (i32.lt_u (local.get $c) (local.get $channelBytes))))
          (local.set $ow (i32.add (local.get $ow) (i32.const 1)))
          (br_if $outCols (i32.lt_u (local.get $ow) (local.get $OW))))
        (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
        (br_if $outRows (i32.lt_u (local.get $oh) (local.get $OH))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br_if $images (i32.lt_u (local.get $n) (local.get $N))))
  )
)
