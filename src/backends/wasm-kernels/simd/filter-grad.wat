;; Filter gradient of a conv2d (NHWC) with WebAssembly SIMD.
;;
;;   dW[k, co] = sum over output pixels p of  x[p + offset(k)] * dy[p, co]
;;
;; where k runs over the filter taps and input channels (kh, kw, ci) in the
;; filter's own order, x is the zero-padded input and offset(k) is where tap k
;; of the window of p sits relative to the window's first element. Seen as a
;; matrix product it is [K x P] times [P x Co] with a very long inner
;; dimension P (batch * output pixels) and a small result, so the result tile
;; stays in registers for the whole pass over P: 4 rows of dW by 8 output
;; channels (8 f32x4 accumulators), fed per pixel by two f32x4 loads of dy and
;; four broadcast loads of x. Nothing is packed or transposed first; the host
;; (filter-grad.ts) only copies x into a padded buffer and dy into a buffer
;; whose channel count is a multiple of 8.
;;
;; All pointers and strides are in bytes. The host guarantees K, N, OH, OW >= 1
;; and Co a positive multiple of 8.
(module
  (memory (export "memory") 1)

  (func (export "filterGrad")
    (param $x i32)          ;; padded input [N, Hp, Wp, Ci]
    (param $dy i32)         ;; output gradient [N, OH, OW, Co]
    (param $out i32)        ;; dW [K, Co]
    (param $offsets i32)    ;; i32[K]: byte offset of tap k inside a window
    (param $K i32)
    (param $N i32) (param $OH i32) (param $OW i32) (param $Co i32)
    (param $imageStride i32) ;; Hp * Wp * Ci * 4
    (param $rowStride i32)   ;; strideHeight * Wp * Ci * 4: next output row
    (param $colStride i32)   ;; strideWidth * Ci * 4: next output column
    (local $k0 i32) (local $c0 i32) (local $n i32) (local $oh i32)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32)
    (local $xRow i32) (local $px i32) (local $rowEnd i32) (local $pdy i32) (local $dyStep i32)
    (local $d0 v128) (local $d1 v128) (local $s v128)
    (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128)
    (local $a4 v128) (local $a5 v128) (local $a6 v128) (local $a7 v128)
    (local $outRow i32)
    (local.set $dyStep (i32.shl (local.get $Co) (i32.const 2)))
    (local.set $k0 (i32.const 0))
    (loop $rows
      ;; Offsets of rows k0..k0+3. Past the last row a tile repeats row k0
      ;; (always valid); those sums are computed and not stored.
      (local.set $o0 (call $offset (local.get $offsets) (local.get $k0) (local.get $k0) (local.get $K)))
      (local.set $o1 (call $offset (local.get $offsets) (i32.add (local.get $k0) (i32.const 1)) (local.get $k0) (local.get $K)))
      (local.set $o2 (call $offset (local.get $offsets) (i32.add (local.get $k0) (i32.const 2)) (local.get $k0) (local.get $K)))
      (local.set $o3 (call $offset (local.get $offsets) (i32.add (local.get $k0) (i32.const 3)) (local.get $k0) (local.get $K)))
      (local.set $c0 (i32.const 0))
      (loop $cols
        (local.set $a0 (v128.const i32x4 0 0 0 0)) (local.set $a1 (v128.const i32x4 0 0 0 0))
        (local.set $a2 (v128.const i32x4 0 0 0 0)) (local.set $a3 (v128.const i32x4 0 0 0 0))
        (local.set $a4 (v128.const i32x4 0 0 0 0)) (local.set $a5 (v128.const i32x4 0 0 0 0))
        (local.set $a6 (v128.const i32x4 0 0 0 0)) (local.set $a7 (v128.const i32x4 0 0 0 0))
        ;; dy is dense, so one pointer walks it across images and rows.
        (local.set $pdy (i32.add (local.get $dy) (local.get $c0)))
        (local.set $n (i32.const 0))
        (loop $images
          (local.set $xRow (i32.add (local.get $x) (i32.mul (local.get $n) (local.get $imageStride))))
          (local.set $oh (i32.const 0))
          (loop $outRows
            (local.set $px (local.get $xRow))
            (local.set $rowEnd (i32.add (local.get $xRow) (i32.mul (local.get $OW) (local.get $colStride))))
            (loop $pixels
              (local.set $d0 (v128.load (local.get $pdy)))
              (local.set $d1 (v128.load offset=16 (local.get $pdy)))
              (local.set $s (v128.load32_splat (i32.add (local.get $px) (local.get $o0))))
              (local.set $a0 (f32x4.add (local.get $a0) (f32x4.mul (local.get $s) (local.get $d0))))
              (local.set $a1 (f32x4.add (local.get $a1) (f32x4.mul (local.get $s) (local.get $d1))))
              (local.set $s (v128.load32_splat (i32.add (local.get $px) (local.get $o1))))
              (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $s) (local.get $d0))))
              (local.set $a3 (f32x4.add (local.get $a3) (f32x4.mul (local.get $s) (local.get $d1))))
              (local.set $s (v128.load32_splat (i32.add (local.get $px) (local.get $o2))))
              (local.set $a4 (f32x4.add (local.get $a4) (f32x4.mul (local.get $s) (local.get $d0))))
              (local.set $a5 (f32x4.add (local.get $a5) (f32x4.mul (local.get $s) (local.get $d1))))
              (local.set $s (v128.load32_splat (i32.add (local.get $px) (local.get $o3))))
              (local.set $a6 (f32x4.add (local.get $a6) (f32x4.mul (local.get $s) (local.get $d0))))
              (local.set $a7 (f32x4.add (local.get $a7) (f32x4.mul (local.get $s) (local.get $d1))))
              (local.set $pdy (i32.add (local.get $pdy) (local.get $dyStep)))
              (local.set $px (i32.add (local.get $px) (local.get $colStride)))
              (br_if $pixels (i32.lt_u (local.get $px) (local.get $rowEnd))))
            (local.set $xRow (i32.add (local.get $xRow) (local.get $rowStride)))
            (local.set $oh (i32.add (local.get $oh) (i32.const 1)))
            (br_if $outRows (i32.lt_u (local.get $oh) (local.get $OH))))
          (local.set $n (i32.add (local.get $n) (i32.const 1)))
          (br_if $images (i32.lt_u (local.get $n) (local.get $N))))
        ;; Store the tile's rows that exist.
        (local.set $outRow (i32.add (i32.add (local.get $out) (local.get $c0))
                                    (i32.mul (local.get $k0) (local.get $dyStep))))
        (v128.store (local.get $outRow) (local.get $a0))
        (v128.store offset=16 (local.get $outRow) (local.get $a1))
        (if (i32.lt_u (i32.add (local.get $k0) (i32.const 1)) (local.get $K)) (then
          (local.set $outRow (i32.add (local.get $outRow) (local.get $dyStep)))
          (v128.store (local.get $outRow) (local.get $a2))
          (v128.store offset=16 (local.get $outRow) (local.get $a3))))
        (if (i32.lt_u (i32.add (local.get $k0) (i32.const 2)) (local.get $K)) (then
          (local.set $outRow (i32.add (local.get $outRow) (local.get $dyStep)))
          (v128.store (local.get $outRow) (local.get $a4))
          (v128.store offset=16 (local.get $outRow) (local.get $a5))))
        (if (i32.lt_u (i32.add (local.get $k0) (i32.const 3)) (local.get $K)) (then
          (local.set $outRow (i32.add (local.get $outRow) (local.get $dyStep)))
          (v128.store (local.get $outRow) (local.get $a6))
          (v128.store offset=16 (local.get $outRow) (local.get $a7))))
        (local.set $c0 (i32.add (local.get $c0) (i32.const 32)))
        (br_if $cols (i32.lt_u (local.get $c0) (local.get $dyStep))))
      (local.set $k0 (i32.add (local.get $k0) (i32.const 4)))
      (br_if $rows (i32.lt_u (local.get $k0) (local.get $K))))
  )

  ;; offsets[k] if k < K, else offsets[fallback].
  (func $offset (param $offsets i32) (param $k i32) (param $fallback i32) (param $K i32) (result i32)
    (i32.load (i32.add (local.get $offsets) (i32.shl
      (select (local.get $k) (local.get $fallback) (i32.lt_u (local.get $k) (local.get $K)))
      (i32.const 2)))))
)
