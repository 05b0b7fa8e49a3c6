//! Two f64 lanes, [`F2`]: wasm32's f64x2 where simd128 is on (the page's build), plain pairs
//! elsewhere, with the same results bit for bit: each lane is rounded as the scalar operation
//! would be, and no operation is fused. The compiler does not vectorise every kernel by itself
//! for wasm32, so the hot ones are written in these lanes.

pub(crate) use imp::F2;

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod imp {
    use core::arch::wasm32::{
        f64x2, f64x2_add, f64x2_div, f64x2_extract_lane, f64x2_mul, f64x2_splat, f64x2_sqrt,
        f64x2_sub, v128,
    };

    /// Two f64 lanes in one SIMD register.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct F2(v128);

    impl F2 {
        /// Both lanes x.
        #[inline(always)]
        pub(crate) fn splat(x: f64) -> Self {
            Self(f64x2_splat(x))
        }
        /// The lanes from two consecutive entries (one v128.load once compiled).
        #[inline(always)]
        pub(crate) fn load(pair: &[f64; 2]) -> Self {
            Self(f64x2(pair[0], pair[1]))
        }
        /// Writes the lanes to two consecutive entries (one v128.store once compiled).
        #[inline(always)]
        pub(crate) fn store(self, pair: &mut [f64; 2]) {
            pair[0] = f64x2_extract_lane::<0>(self.0);
            pair[1] = f64x2_extract_lane::<1>(self.0);
        }
        /// Lane-wise sum.
        #[inline(always)]
        pub(crate) fn add(self, other: Self) -> Self {
            Self(f64x2_add(self.0, other.0))
        }
        /// Lane-wise difference.
        #[inline(always)]
        pub(crate) fn sub(self, other: Self) -> Self {
            Self(f64x2_sub(self.0, other.0))
        }
        /// Lane-wise product.
        #[inline(always)]
        pub(crate) fn mul(self, other: Self) -> Self {
            Self(f64x2_mul(self.0, other.0))
        }
        /// Lane-wise quotient.
        #[inline(always)]
        pub(crate) fn div(self, other: Self) -> Self {
            Self(f64x2_div(self.0, other.0))
        }
        /// Lane-wise square root.
        #[inline(always)]
        pub(crate) fn sqrt(self) -> Self {
            Self(f64x2_sqrt(self.0))
        }
        /// The first lane plus the second.
        #[inline(always)]
        pub(crate) fn sum(self) -> f64 {
            f64x2_extract_lane::<0>(self.0) + f64x2_extract_lane::<1>(self.0)
        }
    }
}

#[cfg(not(all(target_arch = "wasm32", target_feature = "simd128")))]
mod imp {
    /// Two f64 lanes.
    #[derive(Clone, Copy, Debug)]
    pub(crate) struct F2([f64; 2]);

    impl F2 {
        /// Both lanes x.
        #[inline(always)]
        pub(crate) fn splat(x: f64) -> Self {
            Self([x, x])
        }
        /// The lanes from two consecutive entries.
        #[inline(always)]
        pub(crate) fn load(pair: &[f64; 2]) -> Self {
            Self(*pair)
        }
        /// Writes the lanes to two consecutive entries.
        #[inline(always)]
        pub(crate) fn store(self, pair: &mut [f64; 2]) {
            *pair = self.0;
        }
        /// Lane-wise sum.
        #[inline(always)]
        pub(crate) fn add(self, other: Self) -> Self {
            Self([self.0[0] + other.0[0], self.0[1] + other.0[1]])
        }
        /// Lane-wise difference.
        #[inline(always)]
        pub(crate) fn sub(self, other: Self) -> Self {
            Self([self.0[0] - other.0[0], self.0[1] - other.0[1]])
        }
        /// Lane-wise product.
        #[inline(always)]
        pub(crate) fn mul(self, other: Self) -> Self {
            Self([self.0[0] * other.0[0], self.0[1] * other.0[1]])
        }
        /// Lane-wise quotient.
        #[inline(always)]
        pub(crate) fn div(self, other: Self) -> Self {
            Self([self.0[0] / other.0[0], self.0[1] / other.0[1]])
        }
        /// Lane-wise square root.
        #[inline(always)]
        pub(crate) fn sqrt(self) -> Self {
            Self([self.0[0].sqrt(), self.0[1].sqrt()])
        }
        /// The first lane plus the second.
        #[inline(always)]
        pub(crate) fn sum(self) -> f64 {
            self.0[0] + self.0[1]
        }
    }
}
